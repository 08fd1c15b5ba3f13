/**
 * Approved template messages, the only thing WhatsApp lets a business send outside the 24-hour
 * customer-service window. The staff message that records one keeps its name, language and
 * parameters in a fixed, readable form: staff see what was sent, and the adapter reads it back.
 * WhatsApp refuses parameters with newlines or tabs, so one line per parameter is unambiguous.
 */
import { z } from 'zod';

export const TEMPLATE_SOURCE = 'whatsapp-template';

export const templateSpecSchema = z.object({
  name: z.string().regex(/^[a-z0-9_]{1,512}$/, 'lowercase letters, digits and underscores'),
  language: z.string().regex(/^[a-z]{2,3}(_[A-Z]{2})?$/, 'a language code such as en or en_US'),
  parameters: z.array(z.string().min(1).max(1024).refine((p) => !/[\n\t]| {5,}/.test(p), 'no newlines, tabs or runs of spaces')).max(20).default([]),
});
export type TemplateSpec = z.infer<typeof templateSpecSchema>;

const HEADER = /^\[WhatsApp template ([a-z0-9_]+) \(([a-zA-Z_]+)\)\]$/;

export function renderTemplateBody(t: TemplateSpec): string {
  return [`[WhatsApp template ${t.name} (${t.language})]`, ...t.parameters.map((p, i) => `{{${i + 1}}} ${p}`)].join('\n');
}

export function parseTemplateBody(body: string): TemplateSpec | undefined {
  const [head, ...rest] = body.split('\n');
  const m = HEADER.exec(head ?? '');
  if (!m) return undefined;
  const parameters: string[] = [];
  for (const [i, line] of rest.entries()) {
    const prefix = `{{${i + 1}}} `;
    if (!line.startsWith(prefix)) return undefined;
    parameters.push(line.slice(prefix.length));
  }
  const parsed = templateSpecSchema.safeParse({ name: m[1], language: m[2], parameters });
  return parsed.success ? parsed.data : undefined;
}
