// The RP API routes (/api/pl/v1): every body validated by the zod contracts in
// @jplink/contracts (personal-link-api.ts); docs/protocols/personal-link-api.md maps them to the
// published API names.
import { z } from 'zod';
import {
  baseIdLookupBody,
  consentApiView,
  consentRegistrationBody,
  consentRegistrationResult,
  consentRequestBody,
  dataItemsBody,
  dataItemsView,
  idCompletionBody,
  idCompletionResult,
  idLinkView,
  linkNoticeBody,
  plConsentId,
  serviceCode,
  uaxIdConversionBody,
  uaxIdConversionResult,
  uaxLinkBody,
  uaxLinkResult,
  uaxUserBody,
  uaxUserResult,
} from '@jplink/contracts';
import type { App } from '@jplink/kit';
import type { Consents } from '../consent/consents.ts';
import type { Links } from '../links/links.ts';
import type { DataItems } from '../consent/data-items.ts';
import type { createApiAuth } from './auth.ts';

export const API_PREFIX = '/api/pl/v1';
const consentParams = z.object({ consentId: plConsentId });
const dataItemsParams = z.object({ subsystemCode: serviceCode });

/**
 * The same routes on both listeners; `via` picks who the caller is: a client-credentials token
 * (public listener) or the X-Road-Client subsystem vouched for by Personal-Link's Security Server.
 */
export function registerApiRoutes(app: App, deps: { auth: ReturnType<typeof createApiAuth>; links: Links; consents: Consents; dataItems: DataItems; via: 'token' | 'security-server' }): void {
  const { auth, links, consents, dataItems } = deps;
  // OpenAPI: the token scheme on the public listener; nothing on the Security Server's (it authenticates the caller).
  const security = deps.via === 'token' ? [{ rpToken: [] }] : [];
  app.register(async (scope) => {
    const api = scope as unknown as App;
    api.addHook('preHandler', deps.via === 'token' ? auth.authenticate : auth.authenticateSubsystem);

    // ------------------------------------------------------------------------- pl:ids
    api.post(`${API_PREFIX}/base-ids/lookup`, {
      schema: { tags: ['ids'], summary: 'BaseID照会 — BaseID lookup (own ID conversion rows only)', security, body: baseIdLookupBody, response: { 200: idLinkView } },
    }, async (request) => links.lookup(auth.caller(request, 'pl:ids').clientId, request.body));

    api.post(`${API_PREFIX}/id-conversions`, {
      schema: { tags: ['ids'], summary: 'ID完了通知 — ID completion notice (the RP wrote its ID conversion row)', security, body: idCompletionBody, response: { 200: idCompletionResult } },
    }, async (request) => links.completeId(auth.caller(request, 'pl:ids').clientId, request.body.baseId, request.body.localUserId));

    api.post(`${API_PREFIX}/links`, {
      schema: { tags: ['ids'], summary: 'ID連携完了通知 — ID linkage completion notice (RP link table)', security, body: linkNoticeBody, response: { 200: idLinkView } },
    }, async (request) => links.notifyLink(auth.caller(request, 'pl:ids').clientId, request.body.baseId, request.body.status));

    // ------------------------------------------------------------------------- pl:uax
    api.post(`${API_PREFIX}/uax/users`, {
      schema: { tags: ['uax-link'], summary: 'UL-PL ユーザーマスタTBL登録 — UAX-Link registers residents it enrolled', security, body: uaxUserBody, response: { 200: uaxUserResult } },
    }, async (request) => links.uaxRegisterUsers(auth.caller(request, 'pl:uax').clientId, request.body.users));

    api.post(`${API_PREFIX}/uax/id-conversions`, {
      schema: { tags: ['uax-link'], summary: 'UL-PL ID変換TBL登録 — UAX-Link’s ID conversion rows (all or none)', security, body: uaxIdConversionBody, response: { 200: uaxIdConversionResult } },
    }, async (request) => links.uaxRegisterIdConversions(auth.caller(request, 'pl:uax').clientId, request.body.entries));

    api.post(`${API_PREFIX}/uax/links`, {
      schema: { tags: ['uax-link'], summary: 'UL-PL ID連携管理TBL登録 — UAX-Link’s RP links', security, body: uaxLinkBody, response: { 200: uaxLinkResult } },
    }, async (request) => links.uaxRegisterLinks(auth.caller(request, 'pl:uax').clientId, request.body.entries));

    // --------------------------------------------------------------------- pl:consents
    api.post(`${API_PREFIX}/consent-requests`, {
      schema: { tags: ['consents'], summary: '許諾依頼 — consent request of the data consumer (the caller)', security, body: consentRequestBody, response: { 201: consentApiView } },
    }, async (request, reply) => reply.code(201).send(await consents.request(auth.caller(request, 'pl:consents').clientId, request.body)));

    api.get(`${API_PREFIX}/consents/:consentId`, {
      schema: { tags: ['consents'], summary: 'Consent status, events and receipt (consumer or provider only)', security, params: consentParams, response: { 200: consentApiView } },
    }, async (request) => consents.viewForClient(auth.caller(request, 'pl:consents').clientId, request.params.consentId));

    api.post(`${API_PREFIX}/consents/:consentId/registration`, {
      schema: { tags: ['consents'], summary: '許諾情報登録 — the data provider registered this version in its own consent table', security, params: consentParams, body: consentRegistrationBody, response: { 200: consentRegistrationResult } },
    }, async (request) => consents.registerAtProvider(auth.caller(request, 'pl:consents').clientId, request.params.consentId, request.body.version));

    // The provider (the caller) describes its own data items; keyed by the caller, so another RP's are out of reach (404).
    api.put(`${API_PREFIX}/data-items/:subsystemCode`, {
      schema: { tags: ['consents'], summary: '項目説明登録 — the data provider labels the data items of one of its Sub System Codes (ja/en; display only)', security, params: dataItemsParams, body: dataItemsBody, response: { 200: dataItemsView } },
    }, async (request) => dataItems.put(auth.caller(request, 'pl:consents').clientId, request.params.subsystemCode, request.body));

    api.get(`${API_PREFIX}/data-items/:subsystemCode`, {
      schema: { tags: ['consents'], summary: 'The caller’s own data item descriptions of one Sub System Code', security, params: dataItemsParams, response: { 200: dataItemsView } },
    }, async (request) => dataItems.get(auth.caller(request, 'pl:consents').clientId, request.params.subsystemCode));
  });
}
