import { describe, expect, it } from 'vitest';
import { parseTemplateBody, renderTemplateBody, templateSpecSchema } from './template.ts';

describe('template messages', () => {
  it('reads back exactly what it wrote', () => {
    const spec = { name: 'appointment_reminder', language: 'en_US', parameters: ['Dr. Lee', 'Tuesday 3 pm', '{{2}} literal braces'] };
    const body = renderTemplateBody(spec);
    expect(body.split('\n')[0]).toBe('[WhatsApp template appointment_reminder (en_US)]');
    expect(parseTemplateBody(body)).toEqual(spec);
    expect(parseTemplateBody(renderTemplateBody({ name: 'hello_world', language: 'en', parameters: [] }))).toEqual({ name: 'hello_world', language: 'en', parameters: [] });
  });

  it('does not take an ordinary reply for a template', () => {
    expect(parseTemplateBody('See you on Tuesday')).toBeUndefined();
    expect(parseTemplateBody('[WhatsApp template hello (en)]\nnot a parameter line')).toBeUndefined();
  });

  it('refuses parameters WhatsApp would refuse', () => {
    expect(templateSpecSchema.safeParse({ name: 'x', language: 'en', parameters: ['two\nlines'] }).success).toBe(false);
    expect(templateSpecSchema.safeParse({ name: 'Bad-Name', language: 'en' }).success).toBe(false);
    expect(templateSpecSchema.safeParse({ name: 'ok', language: 'english' }).success).toBe(false);
  });
});
