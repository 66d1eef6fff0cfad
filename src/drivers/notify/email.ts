import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import { answerText, type Delivery, type SendOutcome } from './send-outcome.js';

/** The SMTP server as configured, with its credentials and CA read (from the environment and the CA file). */
export interface SmtpSettings {
  readonly host: string;
  readonly port: number;
  readonly security: 'starttls' | 'tls' | 'none';
  readonly from: string;
  readonly auth?: { readonly user: string; readonly pass: string };
  readonly ca?: string;
  readonly timeoutMs: number;
}

export interface MailToSend {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
}

export interface EmailSender {
  send(delivery: Delivery, mail: MailToSend): Promise<SendOutcome>;
  close(): void;
}

/**
 * Mail through one SMTP server with nodemailer: a connection per message (a notification
 * is rare; no pool to keep alive). With `starttls` the server must offer STARTTLS or the
 * message is not sent; its certificate is checked against the system's CAs or `ca_file`.
 * The Message-ID is made from the delivery id, so a receiver (or a person) sees a message
 * repeated after a crash as the same one.
 */
export function emailSender(s: SmtpSettings): EmailSender {
  const options: SMTPTransport.Options = {
    host: s.host, port: s.port,
    secure: s.security === 'tls', requireTLS: s.security === 'starttls', ignoreTLS: s.security === 'none',
    ...(s.auth ? { auth: { user: s.auth.user, pass: s.auth.pass } } : {}),
    tls: { minVersion: 'TLSv1.2', ...(s.ca ? { ca: s.ca } : {}) },
    connectionTimeout: s.timeoutMs, greetingTimeout: s.timeoutMs, socketTimeout: s.timeoutMs,
    // Messages are text Sluice made: nothing in them may make nodemailer read a file or a URL.
    disableFileAccess: true, disableUrlAccess: true,
  };
  const transport = nodemailer.createTransport(options);
  const domain = s.from.slice(s.from.lastIndexOf('@') + 1);
  return {
    async send(delivery, mail) {
      try {
        const info = await transport.sendMail({
          from: s.from, to: mail.to, subject: mail.subject, text: mail.text,
          messageId: `<${delivery.id}@${domain}>`,
          headers: { 'X-Sluice-Delivery': delivery.id, 'X-Sluice-Run': delivery.runId, 'Auto-Submitted': 'auto-generated' },
        });
        return { ok: true, detail: `smtp ${s.host}: ${answerText(info.response)}` };
      } catch (e) {
        const err = e as Error & { code?: string; responseCode?: number; response?: string };
        const said = answerText(err.response ?? err.message);
        // A 5xx about this message or its recipient (550 no such user) is final; a refused
        // login (EAUTH) or anything else about the server may be fixed, so it is retried.
        const final = err.responseCode !== undefined && err.responseCode >= 500 && err.responseCode < 600 && err.code !== 'EAUTH';
        return { ok: false, retryable: !final, detail: `smtp ${s.host}: ${err.code ? `${err.code} ` : ''}${said}` };
      }
    },
    close() {
      transport.close();
    },
  };
}
