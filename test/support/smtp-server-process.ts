/**
 * A real SMTP server (the smtp-server package) in a process of its own, so that a test can stop it the way a relay
 * goes away. It listens on 127.0.0.1:SMTP_PORT and keeps each message it accepts in MAIL_DIR exactly as received:
 * `<n>.eml` and its envelope in `<n>.json`, both on disk before the 250 answer, so a message the client saw accepted
 * can be read at once. A recipient whose local part starts with `unknown` is refused with 550, as a relay refuses a
 * mailbox that does not exist. Prints `listening` when ready; anything on stderr is a failure. Run from dist/ (npm
 * test builds it first).
 */
import { readdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

const port = Number(required('SMTP_PORT'));
const folder = required('MAIL_DIR');
// A restarted server numbers on from the messages already kept, so none is overwritten.
let received = readdirSync(folder).filter((name) => name.endsWith('.eml')).length;

function store(session: SMTPServerSession, raw: Buffer): string {
  received += 1;
  const name = String(received).padStart(4, '0');
  const { mailFrom, rcptTo } = session.envelope;
  const envelope = { mailFrom: mailFrom ? mailFrom.address : null, rcptTo: rcptTo.map((recipient) => recipient.address) };
  writeFileSync(path.join(folder, `${name}.json`), JSON.stringify(envelope));
  writeFileSync(path.join(folder, `${name}.eml.partial`), raw);
  renameSync(path.join(folder, `${name}.eml.partial`), path.join(folder, `${name}.eml`));
  return name;
}

const refusal = (code: number, text: string) => Object.assign(new Error(text), { responseCode: code });

const server = new SMTPServer({
  // No certificate and no accounts: plain SMTP on loopback, as a relay that accepts this host by its address.
  disabledCommands: ['STARTTLS', 'AUTH'],
  disableReverseLookup: true,
  logger: false,
  size: 20 * 1024 * 1024,
  onRcptTo(address, _session, callback) {
    if (address.address.toLowerCase().startsWith('unknown')) return callback(refusal(550, '5.1.1 No such user here'));
    return callback();
  },
  onData(stream: SMTPServerDataStream, session, callback) {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('error', (error: Error) => callback(error));
    stream.on('end', () => {
      if (stream.sizeExceeded) return callback(refusal(552, '5.3.4 Message too big'));
      try {
        return callback(null, `2.0.0 queued as ${store(session, Buffer.concat(chunks))}`);
      } catch (error) {
        return callback(refusal(451, `4.3.0 could not store: ${(error as Error).message}`));
      }
    });
  },
});

server.on('error', (error: Error) => {
  process.stderr.write(`${error.stack ?? error.message}\n`);
  process.exit(1);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
server.listen(port, '127.0.0.1', () => process.stdout.write('listening\n'));
