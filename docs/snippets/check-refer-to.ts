import { plivoProfile, validateReferTo } from '@referkit/validators';

// The trunk's termination domain, from Plivo's console (Zentrunk > Outbound trunks).
const profile = plivoProfile({ terminationDomain: 'XXXXXXXXXXXX.zt.plivo.com' });

const candidates = [
  '<sip:+14155551234@XXXXXXXXXXXX.zt.plivo.com>',
  '<sip:4155551234@XXXXXXXXXXXX.zt.plivo.com>',
  '<sip:+14155551234@pbx.example.com>',
  '<sip:+14155551234@192.168.1.20>',
  '<sip:+442079460000@XXXXXXXXXXXX.zt.plivo.com>',
];

for (const referTo of candidates) {
  const result = validateReferTo(referTo, profile);
  if (result.ok) {
    console.log(`${referTo} -> send it (${result.value.number}, ${result.value.country})`);
  } else {
    console.log(`${referTo} -> the trunk would answer ${result.error.status} ${result.error.code}`);
    console.log(`  fix: ${result.error.message}`);
  }
}
