// Word lists for the demo data. Earlier entries are picked more often (Rng.skewed), which gives the text
// a natural, Zipf-like word frequency: a few hundred common words and a long tail of rare ones.

export const FIRST_NAMES = [
  'james', 'olivia', 'liam', 'emma', 'noah', 'ava', 'oliver', 'sophia', 'elijah', 'isabella', 'lucas', 'mia', 'mason', 'amelia',
  'ethan', 'harper', 'logan', 'evelyn', 'aiden', 'abigail', 'jacob', 'emily', 'daniel', 'ella', 'henry', 'scarlett', 'jackson',
  'grace', 'sebastian', 'chloe', 'samuel', 'victoria', 'david', 'riley', 'joseph', 'aria', 'carter', 'lily', 'owen', 'zoey',
  'wyatt', 'nora', 'john', 'hannah', 'jack', 'layla', 'luke', 'zoe', 'jayden', 'stella', 'dylan', 'hazel', 'leo', 'ellie', 'isaac',
  'paisley', 'gabriel', 'audrey', 'julian', 'skylar', 'mateo', 'violet', 'anthony', 'claire', 'jaxon', 'bella', 'lincoln', 'aurora',
  'joshua', 'lucy', 'christopher', 'anna', 'andrew', 'samantha', 'theodore', 'caroline', 'caleb', 'genesis', 'ryan', 'aaliyah',
  'asher', 'kennedy', 'nathan', 'kinsley', 'thomas', 'allison', 'maya', 'sarah', 'madelyn', 'adeline', 'priya', 'arjun', 'wei',
  'mei', 'hiroshi', 'yuki', 'fatima', 'omar', 'amara', 'kwame', 'ingrid', 'lars', 'sofia', 'matteo', 'lea', 'jonas', 'chiara',
  'mateus', 'camila', 'diego', 'valentina', 'ana', 'pedro', 'marta', 'tomasz', 'agnieszka', 'dmitri', 'katya', 'aylin', 'emre',
];

export const LAST_NAMES = [
  'smith', 'johnson', 'williams', 'brown', 'jones', 'garcia', 'miller', 'davis', 'rodriguez', 'martinez', 'hernandez', 'lopez',
  'gonzalez', 'wilson', 'anderson', 'thomas', 'taylor', 'moore', 'jackson', 'martin', 'lee', 'perez', 'thompson', 'white', 'harris',
  'sanchez', 'clark', 'ramirez', 'lewis', 'robinson', 'walker', 'young', 'allen', 'king', 'wright', 'scott', 'torres', 'nguyen',
  'hill', 'flores', 'green', 'adams', 'nelson', 'baker', 'hall', 'rivera', 'campbell', 'mitchell', 'carter', 'roberts', 'gomez',
  'phillips', 'evans', 'turner', 'diaz', 'parker', 'cruz', 'edwards', 'collins', 'reyes', 'stewart', 'morris', 'morales', 'murphy',
  'cook', 'rogers', 'gutierrez', 'ortiz', 'morgan', 'cooper', 'peterson', 'bailey', 'reed', 'kelly', 'howard', 'ramos', 'kim',
  'cox', 'ward', 'richardson', 'watson', 'brooks', 'chavez', 'wood', 'james', 'bennett', 'gray', 'mendoza', 'ruiz', 'hughes',
  'price', 'alvarez', 'castillo', 'sanders', 'patel', 'myers', 'long', 'ross', 'foster', 'jimenez', 'schmidt', 'muller', 'rossi',
  'dubois', 'silva', 'santos', 'kowalski', 'novak', 'ivanov', 'yilmaz', 'tanaka', 'sato', 'chen', 'wang', 'singh', 'okafor',
  'mensah', 'hansen', 'larsen', 'virtanen', 'oconnor', 'fischer', 'weber', 'bianchi', 'ferreira', 'costa', 'nowak',
];

/** Topics per category; categories the app is configured with but not listed here use GENERAL. */
export const TOPICS: Record<string, readonly string[]> = {
  General: [
    'account', 'order', 'documentation', 'contract', 'onboarding', 'opening hours', 'training session', 'newsletter', 'data export',
    'privacy policy', 'terms of service', 'partner program', 'reseller discount', 'product roadmap', 'service status page', 'office address',
  ],
  Billing: [
    'invoice', 'payment', 'subscription', 'refund', 'receipt', 'credit card', 'billing address', 'VAT number', 'annual plan', 'discount code',
    'bank transfer', 'purchase order', 'proforma invoice', 'payment method', 'trial', 'seat count', 'price increase', 'tax exemption',
  ],
  'Technical problem': [
    'dashboard', 'export', 'report', 'mobile app', 'search', 'import', 'notifications', 'calendar sync', 'API', 'webhook', 'attachments',
    'file upload', 'CSV export', 'PDF report', 'integration', 'browser extension', 'desktop app', 'email notifications', 'charts',
    'scheduled reports', 'bulk import', 'print view', 'offline mode', 'login page', 'timezone settings', 'spreadsheet import',
  ],
  Account: [
    'password', 'login', 'email address', 'two-factor code', 'profile', 'username', 'team members', 'permissions', 'user roles',
    'account deletion', 'single sign-on', 'security settings', 'recovery codes', 'invitation email', 'account owner', 'workspace name',
  ],
  'Feature request': [
    'dark mode', 'bulk editing', 'keyboard shortcuts', 'custom fields', 'saved filters', 'recurring tasks', 'audit log', 'API rate limits',
    'export to Excel', 'calendar view', 'kanban board', 'mobile widgets', 'more languages', 'custom branding', 'granular permissions',
  ],
};
export const GENERAL = TOPICS.General as readonly string[];

export const VERBS = [
  'open', 'save', 'export', 'download', 'upload', 'update', 'find', 'see', 'change', 'delete', 'print', 'share', 'import', 'edit',
  'access', 'cancel', 'renew', 'sync', 'connect', 'configure', 'restore', 'reset', 'approve', 'archive', 'merge', 'transfer',
];

export const PROBLEMS = [
  'is not working', 'shows an error', 'does not load', 'is very slow', 'keeps crashing', 'shows a blank page', 'times out',
  'looks wrong', 'is missing', 'stopped working', 'shows the wrong amount', 'is stuck on loading', 'fails silently',
  'returns a 500 error', 'shows outdated data', 'freezes', 'logs me out', 'duplicates entries', 'ignores my settings',
  'sends twice', 'shows garbled characters', 'loses my changes',
];

export const ENVIRONMENTS = [
  'Chrome', 'Firefox', 'Safari', 'Edge', 'the iPhone app', 'the Android app', 'Windows 11', 'macOS', 'an iPad', 'Windows 10',
  'Ubuntu', 'a Chromebook', 'Brave', 'Opera', 'a Samsung tablet', 'Vivaldi',
];

export const WHEN = [
  'since yesterday', 'since the last update', 'this morning', 'every time', 'sometimes', 'since Monday', 'after the maintenance window',
  'for a few days', 'since we added new users', 'when several people use it at once', 'only in the afternoon', 'after I changed my password',
  'since the new release', 'on the first of every month',
];

export const GREETINGS = ['Hi', 'Hello', 'Hi team', 'Hello support', 'Good morning', 'Dear support team', 'Hey', 'Good afternoon'];
export const CLOSINGS = ['Thanks', 'Thank you', 'Best regards', 'Kind regards', 'Cheers', 'Many thanks', 'Regards', 'Thanks in advance'];

export const IMPACT = [
  'This is blocking our whole team.',
  'It is not urgent, but it is annoying.',
  'We have a deadline on Friday, so any help is appreciated.',
  'Our accountant needs this for the month-end closing.',
  'Several colleagues have the same problem.',
  'I am not sure if this is a bug or if I am doing something wrong.',
  'We rely on this every day.',
  'A customer is waiting on us because of this.',
];

export const TRIED = [
  'I already cleared the browser cache and tried again.',
  'I tried logging out and in again, without luck.',
  'Restarting the computer did not help.',
  'It works in a private window, oddly.',
  'My colleague can reproduce it on her laptop.',
  'I followed the steps in the help article but the result is the same.',
  'I tried a different network as well.',
  'Reinstalling the app did not change anything.',
];

export const ASKS = [
  'Could you take a look?',
  'Can you help?',
  'What should I do?',
  'Is there a workaround?',
  'Is this a known issue?',
  'Please advise.',
  'Can someone call me back?',
  'How long will it take to fix?',
];

export const STAFF_OPENERS = [
  'Thanks for reaching out.',
  'Thank you for the details.',
  'Sorry for the trouble.',
  'Thanks for your patience.',
  'Thank you for getting back to us.',
  'Apologies for the delay in getting back to you.',
];

export const STAFF_BODIES = [
  'Could you send us a screenshot of the error message?',
  'I have escalated this to our engineering team and will keep you posted.',
  'We deployed a fix this morning; could you check whether it works for you now?',
  'Please clear your browser cache and try again.',
  'I can reproduce the issue on our side and have filed a bug report.',
  'I have refunded the duplicate charge; it should appear on your statement within five business days.',
  'You can change this under Settings, then Preferences.',
  'The export is limited to ten thousand rows at a time; splitting it by date range works around that.',
  'I have reset the two-factor authentication on your account, so you can enrol again at your next sign-in.',
  'This is a known issue and a fix is scheduled for the next release.',
  'Could you tell us which browser version you are using?',
  'I have updated the billing address on the invoice and sent you a corrected copy.',
  'Your subscription has been renewed and the new invoice is available in the billing section.',
  'The webhook was disabled after repeated failures; I have enabled it again.',
  'I checked the logs and the request timed out on our side; it should be fine now.',
  'I have passed your suggestion on to the product team.',
  'Could you try the desktop app and tell us whether it behaves the same way?',
  'The invitation email was caught by a spam filter; I have sent a new one.',
];

export const CLIENT_FOLLOWUPS = [
  'Thanks, that worked!',
  'I tried that but it still does not work.',
  'Here is the screenshot you asked for.',
  'It happens in every browser I tried.',
  'Any update on this?',
  'The problem came back this morning.',
  'That fixed it for me, but my colleague still sees the error.',
  'I am using the latest version.',
  'Great, thanks for the quick answer.',
  'Could you also check the invoice from last month?',
  'I attached the log file from the desktop app.',
  'It seems to happen only with large files.',
  'Sorry for the late reply, I was away.',
  'Is there an ETA for the fix?',
];

export const NOTES = [
  'Customer is on the legacy plan; check pricing before offering an upgrade.',
  'Looks like a duplicate of an older ticket from the same company.',
  'Escalated to the engineering on-call.',
  'Checked the logs: the requests time out at the load balancer.',
  'Refund approved by finance.',
  'VIP customer, please answer within the hour.',
  'Waiting for the release notes before replying.',
  'Same root cause as last week, the cache invalidation job.',
  'Asked the billing team to double-check the VAT calculation.',
  'Do not close until the customer confirms.',
];

export const PLANS = ['Starter', 'Team', 'Business', 'Enterprise', 'Nonprofit', 'Education'];

/** Words that show up rarely: integrations, places (some with diacritics), jargon. Good for selective searches. */
export const RARE = [
  'Okta', 'Shibboleth', 'SCIM', 'LDAP', 'Kerberos', 'Zapier', 'QuickBooks', 'Xero', 'Salesforce', 'HubSpot', 'Jira', 'Bitbucket',
  'Jenkins', 'Kubernetes', 'Terraform', 'Ansible', 'Grafana', 'Prometheus', 'Elasticsearch', 'Postman', 'Swagger', 'OAuth', 'SAML',
  'idempotency', 'pagination', 'throttling', 'deduplication', 'reconciliation', 'amortisation', 'chargeback', 'IBAN', 'SEPA', 'BACS',
  'ACH', 'SWIFT', 'GDPR', 'HIPAA', 'SOC2', 'ISO27001', 'DPIA', 'Unicode', 'emoji', 'Cyrillic', 'Hebrew', 'right-to-left', 'watermark',
  'barcode', 'thermal printer', 'Zürich', 'Kraków', 'São Paulo', 'Málaga', 'Reykjavík', 'Göteborg', 'Montréal', 'Łódź', 'Tromsø',
  'Ljubljana', 'Vilnius', 'Tallinn', 'Auckland', 'Nairobi', 'Lagos', 'Osaka', 'Hyderabad', 'Valparaíso', 'Cartagena', 'Antwerpen',
  'naïve', 'café', 'résumé', 'façade', 'jalapeño', 'quokka', 'marmalade', 'zeppelin', 'saxophone', 'origami', 'tamagotchi',
  'hovercraft', 'xylophone', 'kaleidoscope', 'chrysanthemum', 'serendipity', 'flabbergasted', 'discombobulated', 'gobbledygook',
];

export const RARE_TEMPLATES: ReadonlyArray<(word: string) => string> = [
  (w) => `We also use ${w}, in case that matters.`,
  (w) => `By the way, our office in ${w} sees the same thing.`,
  (w) => `The text mentions ${w} somewhere, maybe that is related.`,
  (w) => `Could the ${w} settings be the cause?`,
  (w) => `Our IT department asked me to mention ${w}.`,
];
