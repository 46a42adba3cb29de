import type { ComponentChildren } from 'preact';
import { EmailButton as Button, mailHtml, mailText, type MailBrand, type MailDraft } from './layout.tsx';

/** A rendered email: user-supplied values reach the HTML only through escaping JSX. */
export interface RenderedMail {
  kind: string;
  subject: string;
  text: string;
  html: string;
  /**
   * Set on ticket mail: the email is threaded under the ticket (In-Reply-To/References), sent from SUPPORT_ADDRESS
   * with the ticket's own Reply-To when that is configured, and its outbox row names the ticket.
   */
  ticketId?: number;
}

function html(brand: MailBrand, title: string, body: ComponentChildren): string {
  return mailHtml(brand, { title }, body);
}

function text(brand: MailBrand, lines: string[]): string {
  return mailText(lines, brand.name);
}

export function verifyEmailMail(link: string): MailDraft {
  return (brand) => {
    const subject = `Confirm your email address for ${brand.name}`;
    return {
      kind: 'verify_email',
      subject,
      html: html(brand, 'Confirm your email address', [
        <p>Thanks for creating an account. Confirm that this is your email address to start using {brand.name}.</p>,
        <Button href={link} label="Confirm my email address" />,
        <p style="color:#4d5a70;font-size:14px">
          The link works once and expires in 24 hours. If the button does not work, copy this address into your browser:{' '}
          {link}
        </p>,
      ]),
      text: text(brand, [
        'Thanks for creating an account. Confirm that this is your email address:',
        '',
        link,
        '',
        'The link works once and expires in 24 hours.',
        'If you did not create an account, ignore this email.',
      ]),
    };
  };
}

export function registrationAttemptMail(loginLink: string, resetLink: string): MailDraft {
  return (brand) => {
    const subject = `Someone tried to create a ${brand.name} account with your email`;
    return {
      kind: 'registration_attempt',
      subject,
      html: html(brand, 'You already have an account', [
        <p>
          Someone (perhaps you) tried to create a new {brand.name} account with this email address. You already have
          one, so nothing was changed.
        </p>,
        <p>
          You can <a href={loginLink}>sign in</a>, or if you have forgotten your password,{' '}
          <a href={resetLink}>reset it</a>.
        </p>,
        <p style="color:#4d5a70;font-size:14px">
          If this was not you, you can ignore this email. Your account is safe.
        </p>,
      ]),
      text: text(brand, [
        `Someone (perhaps you) tried to create a new ${brand.name} account with this email address.`,
        'You already have one, so nothing was changed.',
        '',
        `Sign in: ${loginLink}`,
        `Forgot your password? Reset it: ${resetLink}`,
        '',
        'If this was not you, you can ignore this email. Your account is safe.',
      ]),
    };
  };
}

/** Sent when sign-in to the account is paused after failed attempts: one click lifts the pause. */
export function unlockAccountMail(link: string, minutes: number): MailDraft {
  return (brand) => {
    return {
      kind: 'unlock_account',
      subject: `Sign-in to your ${brand.name} account was paused`,
      html: html(brand, 'Sign-in was paused', [
        <p>
          Several wrong passwords were entered for your {brand.name} account, so new sign-in attempts are paused for up
          to {minutes} minutes at a time.
        </p>,
        <p>Your usual browser can still sign in. To lift the pause everywhere now, use this link:</p>,
        <Button href={link} label="Unlock sign-in" />,
        <p style="color:#4d5a70;font-size:14px">
          The link works once and expires in 24 hours. If the wrong passwords were not yours, someone may be guessing:
          use a strong, unique password and two-factor authentication.
        </p>,
      ]),
      text: text(brand, [
        `Several wrong passwords were entered for your ${brand.name} account, so new sign-in attempts are paused for up to ${minutes} minutes at a time.`,
        'Your usual browser can still sign in. To lift the pause everywhere now, open this link:',
        '',
        link,
        '',
        'The link works once and expires in 24 hours.',
        'If the wrong passwords were not yours, someone may be guessing: use a strong, unique password and two-factor authentication.',
      ]),
    };
  };
}

export function passwordResetMail(link: string): MailDraft {
  return (brand) => {
    return {
      kind: 'reset_password',
      subject: `Reset your ${brand.name} password`,
      html: html(brand, 'Reset your password', [
        <p>We received a request to reset the password of your {brand.name} account.</p>,
        <Button href={link} label="Choose a new password" />,
        <p style="color:#4d5a70;font-size:14px">
          The link works once and expires in 1 hour. If you did not ask for this, ignore this email: your password stays
          as it is.
        </p>,
      ]),
      text: text(brand, [
        `We received a request to reset the password of your ${brand.name} account. Choose a new password here:`,
        '',
        link,
        '',
        'The link works once and expires in 1 hour.',
        'If you did not ask for this, ignore this email: your password stays as it is.',
      ]),
    };
  };
}

export function passwordChangedMail(resetLink: string): MailDraft {
  return (brand) => {
    return {
      kind: 'password_changed',
      subject: `Your ${brand.name} password was changed`,
      html: html(brand, 'Your password was changed', [
        <p>The password of your {brand.name} account was just changed, and every other session was signed out.</p>,
        <p>
          If this was not you, <a href={resetLink}>reset your password now</a> and contact your support team.
        </p>,
      ]),
      text: text(brand, [
        `The password of your ${brand.name} account was just changed, and every other session was signed out.`,
        '',
        `If this was not you, reset your password now: ${resetLink}`,
      ]),
    };
  };
}

export function verifyNewEmailMail(link: string): MailDraft {
  return (brand) => {
    return {
      kind: 'change_email',
      subject: `Confirm your new email address for ${brand.name}`,
      html: html(brand, 'Confirm your new email address', [
        <p>
          You asked to use this address for your {brand.name} account. The change takes effect once you confirm it.
        </p>,
        <Button href={link} label="Confirm my new address" />,
        <p style="color:#4d5a70;font-size:14px">
          The link works once and expires in 24 hours. If you did not ask for this, ignore this email.
        </p>,
      ]),
      text: text(brand, [
        `You asked to use this address for your ${brand.name} account. Confirm it here:`,
        '',
        link,
        '',
        'The link works once and expires in 24 hours. If you did not ask for this, ignore this email.',
      ]),
    };
  };
}

export function emailChangeNoticeMail(newEmail: string): MailDraft {
  return (brand) => {
    return {
      kind: 'email_change_notice',
      subject: `Your ${brand.name} email address is being changed`,
      html: html(brand, 'Your email address is being changed', [
        <p>
          Someone signed in to your {brand.name} account asked to change its email address to{' '}
          <strong>{newEmail}</strong>. The change takes effect only when the new address is confirmed.
        </p>,
        <p>If this was not you, change your password now and contact your support team.</p>,
      ]),
      text: text(brand, [
        `Someone signed in to your ${brand.name} account asked to change its email address to ${newEmail}.`,
        'The change takes effect only when the new address is confirmed.',
        '',
        'If this was not you, change your password now and contact your support team.',
      ]),
    };
  };
}

export function twoFactorEnabledMail(accountLink: string): MailDraft {
  return (brand) => {
    return {
      kind: 'two_factor_enabled',
      subject: `Two-factor authentication is set up on your ${brand.name} account`,
      html: html(brand, 'Two-factor authentication is set up', [
        <p>
          An authenticator app was just set up for your {brand.name} account. From now on, signing in needs a code from
          it.
        </p>,
        <p>
          If this was not you, <a href={accountLink}>check your account</a> and contact your support team at once.
        </p>,
      ]),
      text: text(brand, [
        `An authenticator app was just set up for your ${brand.name} account.`,
        '',
        `If this was not you, check your account: ${accountLink}`,
      ]),
    };
  };
}

export function recoveryCodeUsedMail(remaining: number, accountLink: string): MailDraft {
  return (brand) => {
    return {
      kind: 'recovery_code_used',
      subject: `A recovery code was used to sign in to ${brand.name}`,
      html: html(brand, 'A recovery code was used', [
        <p>
          Someone signed in to your {brand.name} account with one of your recovery codes. You have {remaining} unused
          recovery code{remaining === 1 ? '' : 's'} left.
        </p>,
        <p>
          If you have lost your authenticator app, <a href={accountLink}>set up a new one and new recovery codes</a>. If
          this was not you, change your password now.
        </p>,
      ]),
      text: text(brand, [
        `Someone signed in to your ${brand.name} account with one of your recovery codes. ${remaining} unused code(s) left.`,
        '',
        `Set up a new authenticator or new codes: ${accountLink}`,
        'If this was not you, change your password now.',
      ]),
    };
  };
}

export function twoFactorResetMail(loginLink: string): MailDraft {
  return (brand) => {
    return {
      kind: 'two_factor_reset',
      subject: `Two-factor authentication was reset on your ${brand.name} account`,
      html: html(brand, 'Two-factor authentication was reset', [
        <p>
          An administrator reset two-factor authentication on your {brand.name} account, and every session was signed
          out.
        </p>,
        <p>
          The next time you <a href={loginLink}>sign in</a>, you will set up your authenticator app again. If you did
          not ask for this, contact your support team.
        </p>,
      ]),
      text: text(brand, [
        `An administrator reset two-factor authentication on your ${brand.name} account, and every session was signed out.`,
        `The next time you sign in (${loginLink}) you will set up your authenticator app again.`,
      ]),
    };
  };
}

export function invitationMail(link: string, role: string): MailDraft {
  return (brand) => {
    return {
      kind: 'invitation',
      subject: `You have been invited to ${brand.name}`,
      html: html(brand, `You have been invited to ${brand.name}`, [
        <p>
          An administrator created a {brand.name} account for you ({role}). Choose your password to start.
        </p>,
        <Button href={link} label="Choose my password" />,
        <p style="color:#4d5a70;font-size:14px">The link works once and expires in 7 days.</p>,
      ]),
      text: text(brand, [
        `An administrator created a ${brand.name} account for you (${role}). Choose your password here:`,
        '',
        link,
        '',
        'The link works once and expires in 7 days.',
      ]),
    };
  };
}

/** After an invited person chose their password: what happens next, not a warning about a change they just made. */
export function welcomeMail(loginLink: string): MailDraft {
  return (brand) => ({
    kind: 'welcome',
    subject: `Welcome to ${brand.name}`,
    html: html(brand, `Welcome to ${brand.name}`, [
      <p>Your password is set and your {brand.name} account is ready.</p>,
      <p>Sign in with your email address and the password you just chose.</p>,
      <Button href={loginLink} label="Sign in" />,
    ]),
    text: text(brand, [
      `Your password is set and your ${brand.name} account is ready.`,
      '',
      `Sign in with your email address and the password you just chose: ${loginLink}`,
    ]),
  });
}
