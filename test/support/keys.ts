import { parseMasterKey } from '../../src/security/master-key.ts';

/** A fixed master key for tests that open a store directly (never used outside tests). */
export const TEST_MASTER_KEY_TEXT = '6d0c7a1b5e3f4a2d8c9b0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d';
export const testMasterKey = () => parseMasterKey(TEST_MASTER_KEY_TEXT);
