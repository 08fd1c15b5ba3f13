/** Names of outbox job kinds and their ordering keys, shared by producers and handlers. */
export const jobKinds = {
  /** Mirror one patient message to Slack (opens the thread on the first one). */
  slackPost: 'slack.post',
  /** Show a reply or note written in the web inbox in the conversation's Slack thread. */
  slackMirror: 'slack.mirror',
  /** Tell the thread that a reply did not reach the patient, and why. */
  slackDeliveryProblem: 'slack.delivery_problem',
  /** Re-render the thread's parent message after a state change. */
  slackUpdate: 'slack.update',
  /** Process one stored Slack Events API callback. */
  slackEvent: 'slack.event',
  /** Process one stored Slack interactivity payload (button press). */
  slackAction: 'slack.action',
  /** Re-encrypt an organization's rows under its newest data key, in batches. */
  reencrypt: 'keys.reencrypt',
  /** Delete message content past each practice's retention period. */
  retentionSweep: 'retention.sweep',
  /** The one confirmation of an SMS keyword (STOP, START, HELP), sent even to an opted-out number. */
  smsNotice: 'sms.notice',
  /** An automatic e-mail (a secure link's one-time code). */
  emailNotice: 'email.notice',
  /** Fetch the pictures and files of an incoming MMS from Twilio and keep them as attachments. */
  smsMedia: 'sms.media',
  /** Deliver one staff message to the patient on the conversation's channel. */
  deliver: 'deliver',
} as const;

/** Jobs sharing a key run one at a time, in order; different keys never wait on each other
 *  (a Slack outage must not hold up replies to patients, and the other way round). */
export const queueKeys = {
  slack: (conversationId: string) => `slack:${conversationId}`,
  deliver: (conversationId: string) => `deliver:${conversationId}`,
  slackThread: (channel: string, threadTs: string) => `slack-thread:${channel}:${threadTs}`,
};
