import { EmailButton, mailHtml, mailText, type MailDraft } from '../../mail/layout.tsx';

/**
 * The one email an unknown sender gets (INBOUND_UNKNOWN_SENDERS=invite): their message is kept, and opens as a ticket
 * once they prove the address and sign up. The subject they wrote is escaped by JSX in the HTML part.
 */
export function inboundInvitationMail(link: string, subject: string): MailDraft {
  return (brand) => {
    const intro = `We received your email “${subject}”. To open it as a support request, confirm that this is your address and choose a password.`;
    return {
      kind: 'inbound_invitation',
      subject: `Confirm your address to open your request with ${brand.name}`,
      html: mailHtml(brand, { title: 'Confirm your address to open your request' }, [
        <p>{intro}</p>,
        <EmailButton href={link} label="Confirm and choose a password" />,
        <p style="color:#4d5a70;font-size:14px">
          The link works once and expires in 7 days. After you sign in, your request appears in your tickets. If you did
          not write to us, ignore this email: nothing else will be sent.
        </p>,
      ]),
      text: mailText(
        [
          intro,
          '',
          link,
          '',
          'The link works once and expires in 7 days. After you sign in, your request appears in your tickets.',
          'If you did not write to us, ignore this email: nothing else will be sent.',
        ],
        brand.name,
      ),
    };
  };
}
