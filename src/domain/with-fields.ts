/**
 * `{ ...base, ...fields }`, built another way. In V8 11 (Node 20) an object literal that starts
 * with a spread and goes on with more fields or spreads (`{ ...row, id }`) makes a copy that
 * outlives the next young-generation collection: it is promoted, whatever holds it, and copying it
 * is what those collections spend their time on. On the patient-message path such copies were
 * most of what the writer thread's collections kept (390 bytes a message for the arguments of the
 * conversation's update alone), their pauses the largest part of the delivery latency's tail. A
 * literal whose first member is a field, or `Object.assign` into a fresh object, has no such cost.
 *
 * `Object.assign` sets properties where a spread defines them: an own `__proto__` key (from parsed
 * JSON) would set the copy's prototype instead of becoming a field, so such an object is spread
 * as before.
 */
export function withFields<T extends object, U extends object>(base: T, fields: U): Spread<T, U>;
/** A base that may be absent adds nothing, as a spread of `undefined` does. */
export function withFields<T extends object, U extends object>(base: T | null | undefined, fields: U): Spread<Partial<T>, U>;
export function withFields(base: object | null | undefined, fields: object): object {
  if ((base != null && Object.hasOwn(base, '__proto__')) || Object.hasOwn(fields, '__proto__')) return { ...base, ...fields };
  return Object.assign({}, base, fields);
}

/** The keys a value of `U` may lack. */
type OptionalKeys<U> = { [K in keyof U]-?: object extends Pick<U, K> ? K : never }[keyof U];

/** TypeScript's type for `{ ...T, ...U }`: a field `U` may lack keeps `T`'s type as well. */
export type Spread<T, U> = Omit<T, keyof U> & Omit<U, OptionalKeys<U>>
  & { [K in OptionalKeys<U> & keyof T]: T[K] | Exclude<U[K], undefined> }
  & { [K in Exclude<OptionalKeys<U>, keyof T>]?: U[K] };
