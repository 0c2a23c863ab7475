/**
 * Letters to post: the official letters of a disclosure case for recipients without e-mail, printed and posted by
 * the operator, who marks each one posted (the dashboard shows the waiting ones).
 */
import { z } from 'zod';
import { letterToPost, readLettersToPost, recordLetterPosted } from '../notifications';
import { DISCLOSURE_OPERATOR } from '../policy';
import { auditIdentityOf, defineRoute, type RouteSpec } from '../routes';

const letterParams = z.object({ id: z.uuid({ message: '우편 번호가 올바르지 않습니다' }) }).strict();

export function letterRoutes(): RouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/api/letters-to-post',
      kind: 'api',
      access: DISCLOSURE_OPERATOR,
      response: z.array(letterToPost),
      summary: '우편 발송 대기: 전자우편이 없는 받는 사람에게 인쇄해 보낼 공문 (오래된 것부터)',
      async handle(call) {
        call.res.json(await readLettersToPost(call.em));
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/letters-to-post/:id/posted',
      kind: 'api',
      access: DISCLOSURE_OPERATOR,
      params: letterParams,
      summary: '우편 발송 처리: 인쇄해 보낸 공문을 발송됨으로 (감사 기록)',
      async handle(call) {
        await recordLetterPosted(call.em, auditIdentityOf(call), call.params.id);
        call.res.status(204).end();
      },
    }),
    defineRoute({
      method: 'post',
      path: '/letters/:id/posted',
      kind: 'page',
      access: DISCLOSURE_OPERATOR,
      params: letterParams,
      summary: '우편 발송 처리 (화면): 인쇄해 보낸 공문을 대기 목록에서 내림',
      async handle(call) {
        await recordLetterPosted(call.em, auditIdentityOf(call), call.params.id);
        call.res.redirect(303, '/');
      },
    }),
  ];
}
