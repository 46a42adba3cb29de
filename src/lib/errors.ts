/** Errors with a stable code, a status, and a message that is safe to show to the person who caused them. */
export class AppError extends Error {
  constructor(
    public readonly statusCode: number,
    public readonly code: string,
    public readonly publicMessage: string,
    public readonly headers: Record<string, string> = {},
  ) {
    super(publicMessage);
    this.name = 'AppError';
  }
}

export const notFound = () =>
  new AppError(404, 'not_found', 'The page you asked for does not exist, or you do not have access to it.');
export const unauthenticated = () => new AppError(401, 'authentication_required', 'Please sign in to continue.');
export const csrfError = () =>
  new AppError(
    403,
    'csrf_error',
    'This form has expired or was sent from another site. Go back, reload the page and try again.',
  );
export const badRequest = (message: string) => new AppError(400, 'bad_request', message);
/** A wait in words, rounded up: "30 seconds", "1 minute", "5 minutes". */
export function waitInWords(seconds: number): string {
  const s = Math.max(1, Math.ceil(seconds));
  if (s < 60) {
    return s === 1 ? '1 second' : `${s} seconds`;
  }
  const minutes = Math.ceil(s / 60);
  return minutes === 1 ? '1 minute' : `${minutes} minutes`;
}

export const tooManyRequests = (retryAfterSeconds: number) =>
  new AppError(429, 'rate_limited', `Too many attempts. Try again in ${waitInWords(retryAfterSeconds)}.`, {
    'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))),
  });
export const payloadTooLarge = (message: string) => new AppError(413, 'payload_too_large', message);
export const unsupportedMediaType = () =>
  new AppError(
    415,
    'unsupported_media_type',
    'This address does not accept files or multipart forms. Send the form again from its page.',
  );
export const lengthRequired = () =>
  new AppError(411, 'length_required', 'Forms with files must be sent with their length (Content-Length).');
