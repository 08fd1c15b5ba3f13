import { describe, expect, it } from 'vitest';
import { configProblems, loadConfig } from './config.ts';

const problems = configProblems;

const meta = { META_APP_SECRET: 'app-secret-0123456789', META_VERIFY_TOKEN: 'verify-token' };

describe('Messenger, WhatsApp and Viber settings', () => {
  it('are off by default', () => {
    expect(loadConfig({}).channels).toEqual({ meta: undefined, messenger: undefined, whatsapp: undefined, viber: undefined });
  });

  it('take each channel all or none, naming the missing variables and never a value', () => {
    expect(problems({ ...meta, MESSENGER_PAGE_ID: '104837295012345' })).toEqual(['MESSENGER_PAGE_TOKEN: required with MESSENGER_PAGE_ID']);
    expect(problems({ WHATSAPP_PHONE_NUMBER_ID: '106540352242922', WHATSAPP_TOKEN: 'EAAG-secret-token-000' }).join()).toContain('META_APP_SECRET, META_VERIFY_TOKEN: required');
    expect(problems(meta)).toEqual(['MESSENGER_PAGE_ID or WHATSAPP_PHONE_NUMBER_ID: required with META_APP_SECRET']);
    const bad = problems({ ...meta, WHATSAPP_PHONE_NUMBER_ID: 'not-numeric', WHATSAPP_TOKEN: 'EAAG-secret-token-000' });
    expect(bad.join()).toMatch(/^WHATSAPP_PHONE_NUMBER_ID: /);
    expect(bad.join()).not.toContain('not-numeric');
    expect(problems({ VIBER_AUTH_TOKEN: '445da6az1s345z78-dazcczb2542zv51a', VIBER_SENDER_NAME: 'A sender name longer than 28 chars' }).join()).toMatch(/^VIBER_SENDER_NAME: /);
  });

  it('give the Graph and Viber base URLs defaults that can be changed', () => {
    const c = loadConfig({ ...meta, WHATSAPP_PHONE_NUMBER_ID: '106540352242922', WHATSAPP_TOKEN: 'EAAG-secret-token-000', VIBER_AUTH_TOKEN: '445da6az1s345z78-dazcczb2542zv51a' });
    expect(c.channels.meta?.graphUrl).toBe('https://graph.facebook.com/v21.0');
    expect(c.channels.whatsapp).toEqual({ phoneNumberId: '106540352242922', token: 'EAAG-secret-token-000' });
    expect(c.channels.messenger).toBeUndefined();
    expect(c.channels.viber).toMatchObject({ apiUrl: 'https://chatapi.viber.com/pa', senderName: 'Front desk' });
    expect(loadConfig({ ...meta, MESSENGER_PAGE_ID: '104837295012345', MESSENGER_PAGE_TOKEN: 'EAAG-page-token-0000', META_GRAPH_URL: 'http://127.0.0.1:9/v21.0/' }).channels.meta?.graphUrl).toBe('http://127.0.0.1:9/v21.0');
  });
});
