/** Where a request came from, for audit records: what services get instead of the request itself. */
export interface Origin {
  ip: string;
  userAgent: string;
}
