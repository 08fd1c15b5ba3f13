import type { Migration, MigrationProvider } from 'kysely';
import type { Dialect } from '../types.ts';
import { coreMigration } from './001-core.ts';
import { staffInboxMigration } from './002-staff-inbox.ts';
import { auditChainMigration } from './003-audit-chain.ts';
import { encryptionMigration } from './004-encryption.ts';
import { retentionConsentMigration } from './005-retention-consent.ts';
import { smsDeliveryMigration } from './006-sms-delivery.ts';
import { secureLinksMigration } from './007-secure-links.ts';
import { attachmentsMigration } from './008-attachments.ts';
import { emailMigration } from './009-email.ts';
import { metaViberMigration } from './010-meta-viber.ts';
import { listIndexesMigration } from './012-list-indexes.ts';
import { slackInstallationsMigration } from './013-slack-installations.ts';
import { searchIndexMigration } from './014-sqlite-search-index.ts';
import { partialExternalIdMigration } from './015-partial-external-id.ts';

/**
 * Versioned migrations, compiled into the program (no files to find at run time).
 * Append only: a released migration is never edited, a change is a new entry.
 */
export function migrationProvider(dialect: Dialect): MigrationProvider {
  return {
    async getMigrations(): Promise<Record<string, Migration>> {
      return {
        '001-core': coreMigration(dialect),
        '002-staff-inbox': staffInboxMigration(dialect),
        '003-audit-chain': auditChainMigration,
        '004-encryption': encryptionMigration,
        '005-retention-consent': retentionConsentMigration(dialect),
        '006-sms-delivery': smsDeliveryMigration,
        '007-secure-links': secureLinksMigration,
        '008-attachments': attachmentsMigration,
        '009-email': emailMigration(dialect),
        '010-meta-viber': metaViberMigration,
        '012-list-indexes': listIndexesMigration,
        '013-slack-installations': slackInstallationsMigration,
        '014-sqlite-search-index': searchIndexMigration(dialect),
        '015-partial-external-id': partialExternalIdMigration,
      };
    },
  };
}
