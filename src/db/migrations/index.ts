import type { Migration } from 'kysely';
import * as createUsersSessionsAudit from './2026_11_28_1000_create_users_sessions_audit.ts';
import * as createTokensMailRateLimits from './2026_11_28_1100_create_tokens_mail_rate_limits.ts';
import * as addTwoFactor from './2026_11_28_1200_add_two_factor.ts';
import * as createTickets from './2026_11_28_1300_create_tickets.ts';
import * as createLoginThrottles from './2026_11_28_1400_create_login_throttles.ts';
import * as searchWordsAndOwner from './2026_11_28_1500_search_words_and_owner.ts';
import * as tokenBinding from './2026_12_04_1200_token_binding.ts';
import * as quotas from './2026_12_04_1300_quotas.ts';
import * as placeholderFlagAndSizes from './2026_12_04_1400_placeholder_flag_and_sizes.ts';
import * as emailChannel from './2026_12_05_1000_email_channel.ts';
import * as homeIndexes from './2026_12_06_1030_home_indexes.ts';
import * as userTimeZone from './2026_12_06_1040_user_time_zone.ts';

/** Listed explicitly (not read from disk) so the same list works under tsx, a bundler or compiled output. */
export const migrations: Record<string, Migration> = {
  '2026_11_28_1000_create_users_sessions_audit': createUsersSessionsAudit,
  '2026_11_28_1100_create_tokens_mail_rate_limits': createTokensMailRateLimits,
  '2026_11_28_1200_add_two_factor': addTwoFactor,
  '2026_11_28_1300_create_tickets': createTickets,
  '2026_11_28_1400_create_login_throttles': createLoginThrottles,
  '2026_11_28_1500_search_words_and_owner': searchWordsAndOwner,
  '2026_12_04_1200_token_binding': tokenBinding,
  '2026_12_04_1300_quotas': quotas,
  '2026_12_04_1400_placeholder_flag_and_sizes': placeholderFlagAndSizes,
  '2026_12_05_1000_email_channel': emailChannel,
  '2026_12_06_1030_home_indexes': homeIndexes,
  '2026_12_06_1040_user_time_zone': userTimeZone,
};
