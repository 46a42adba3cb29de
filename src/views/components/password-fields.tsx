import { Field } from './forms.tsx';

/** Passwords are limited in bytes (MAX_PASSWORD_BYTES); 1,024 characters is the browser-side bound. */
const PASSWORD_MAX_LENGTH = 1024;

/** A new password with the strength meter (public/js/app.js), and its confirmation. The server still decides. */
export function NewPasswordFields({
  minLength,
  errors,
  label = 'Password',
}: {
  minLength: number;
  errors: { password?: string | undefined; password_confirm?: string | undefined };
  label?: string;
}) {
  return (
    <>
      <Field
        label={label}
        name="password"
        type="password"
        autocomplete="new-password"
        required
        maxLength={PASSWORD_MAX_LENGTH}
        hint={`At least ${minLength} characters. Long phrases are best; no special characters needed.`}
        error={errors.password}
        strength
        strengthMinLength={minLength}
      />
      <Field
        label={`Confirm ${label.toLowerCase()}`}
        name="password_confirm"
        type="password"
        autocomplete="new-password"
        required
        maxLength={PASSWORD_MAX_LENGTH}
        error={errors.password_confirm}
      />
    </>
  );
}

/** The account's current password (sign-in, re-authentication, security changes). */
export function CurrentPasswordField(props: {
  label?: string;
  name?: string;
  id?: string;
  error?: string | undefined;
  autofocus?: boolean;
}) {
  return (
    <Field
      label={props.label ?? 'Current password'}
      name={props.name ?? 'current_password'}
      id={props.id}
      type="password"
      autocomplete="current-password"
      required
      maxLength={PASSWORD_MAX_LENGTH}
      error={props.error}
      autofocus={props.autofocus}
    />
  );
}
