// Reads mail the way a JavaScript mail client does (postal-mime), for tests/mail/postal_mime.py.
// stdin: {"mails": [base64 wire bytes...], "jis": "text to decode as ISO-2022-JP bytes (hex)"}
// stdout: {"mails": [{subject, from, to, cc, replyTo, text, html}...], "jis": decoded text}
import PostalMime from 'postal-mime';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const request = JSON.parse(Buffer.concat(chunks).toString('utf8'));

const addresses = (list) =>
  (list || []).flatMap((a) => (a.group ? a.group : [a])).map((a) => [a.name || '', a.address || '']);

const mails = [];
for (const raw of request.mails || []) {
  const mail = await PostalMime.parse(Buffer.from(raw, 'base64'));
  mails.push({
    subject: mail.subject ?? null,
    from: mail.from ? addresses([mail.from]) : [],
    to: addresses(mail.to),
    cc: addresses(mail.cc),
    'reply-to': addresses(mail.replyTo),
    text: mail.text ?? null,
    html: mail.html ?? null,
  });
}
const jis = request.jis ? new TextDecoder('iso-2022-jp').decode(Buffer.from(request.jis, 'hex')) : null;
process.stdout.write(JSON.stringify({ mails, jis }));
