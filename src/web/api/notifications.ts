import { ApiError } from '../api-error.js';
import type { WebDeps } from '../deps.js';
import { NotificationListSchema, notificationView } from '../notification-view.js';
import { RunParams } from '../schemas.js';
import { apiRoute, type AnyApiRoute } from './route.js';

/** What the run's notifications came to (docs/notifications.md): each delivery and its attempts. */
export function notificationRoutes(d: WebDeps): AnyApiRoute[] {
  return [
    apiRoute({
      method: 'GET', path: '/api/runs/{id}/notifications', tag: 'runs', access: 'read', summary: 'The notifications of one run: each delivery, its state and every attempt',
      params: RunParams, response: NotificationListSchema, errors: ['E_NOT_FOUND'],
      handle: async ({ params }) => {
        if (!(await d.store.getRun(params.id))) throw new ApiError('E_NOT_FOUND', `no run "${params.id}"`);
        return { items: (await d.store.listNotifications({ runId: params.id })).map(notificationView) };
      },
    }),
  ];
}
