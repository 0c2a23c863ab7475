/** What a hold's reviewer is told, by the chief's decision (api/holds.ts) and by the hold's end (activities/holds.ts). */
import { Notification, type RecordingHold } from './entities';

/** The in-app notice a hold's reviewer gets when it is decided, extended or ended (one per hold and subject). */
export function holdReviewerNotice(hold: RecordingHold, recordingId: string, subject: string, body: string, at: Date): Notification | undefined {
  if (!hold.reviewer) return undefined;
  const notification = new Notification(`hold:${hold.id}:${subject}`, 'in_app', `user:${hold.reviewer}`, subject, body, 'recording', recordingId, at);
  notification.status = 'sent';
  notification.sentAt = at;
  return notification;
}
