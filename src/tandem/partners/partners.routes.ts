import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { addRoute, ErrorSchema } from '../../lib/http/routes.ts'
import { actorOf, sessionGuards } from '../accounts/session.ts'
import type { TandemContext } from '../context.ts'
import { presentAgreement } from './agreements.presenter.ts'
import {
  type AgreementChangeListener,
  createAgreements,
  endAgreement,
  extendAgreement,
  listAgreements,
} from './agreements.service.ts'
import { presentCompliance } from './compliance.presenter.ts'
import { allPartnersCompliance, partnerCompliance, type ReceivedReportsLookup } from './compliance.service.ts'
import { presentPartner } from './partners.presenter.ts'
import {
  AgreementParams,
  AgreementSchema,
  AgreementsQuery,
  ClientIdParams,
  ComplianceSchema,
  CreateAgreementsBody,
  CreatePartnerBody,
  EndAgreementBody,
  ExtendAgreementBody,
  PartnerSchema,
  UpdatePartnerBody,
} from './partners.schemas.ts'
import {
  getPartner,
  listPartners,
  partnerDeps,
  registerPartner,
  setPartnerStatus,
  updatePartnerSettings,
} from './partners.service.ts'

export interface PartnerRouteOptions {
  /** Told of agreement.created / extended / ended inside the transaction (for partner webhooks). */
  onAgreementChange?: AgreementChangeListener
  /** Which reports a partner has delivered (for the compliance schedule); none until the Reporting API. */
  findReceivedReports?: ReceivedReportsLookup
  /** Called after an agreement or partner status change committed (to drop this instance's guard cache). */
  afterCommit?: () => void
}

const tags = ['admin: partners']
const security = [{ session: [] }]
const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema }
const PartnerResponse = z.object({ partner: PartnerSchema })

/** The admin API for partner apps, agreements and compliance; every route needs an admin session. */
export function registerPartnerRoutes(
  app: FastifyInstance,
  ctx: TandemContext,
  options: PartnerRouteOptions = {},
): void {
  const { requireAdmin } = sessionGuards(ctx)
  const { db, clock } = ctx
  const deps = partnerDeps(ctx)
  const agreementDeps = {
    clock,
    onAgreementChange: options.onAgreementChange,
    afterCommit: options.afterCommit,
  }
  const complianceDeps = { clock, findReceivedReports: options.findReceivedReports }
  const admin = { tags, security, preHandler: requireAdmin }

  addRoute(
    app,
    'POST',
    '/api/admin/partners',
    {
      ...admin,
      summary: 'Register a partner app; the webhook secret is in this response only',
      description:
        'Redirect URIs are https (http only for loopback hosts, in development), matched by exact string, ' +
        'without fragments, user info or wildcards. Give exactly one of jwksUri or jwks. ' +
        'Errors: invalid_redirect_uri, invalid_url, unsafe_url, invalid_jwks, client_id_taken.',
      body: CreatePartnerBody,
      response: { 201: PartnerResponse.extend({ webhookSecret: z.string() }), ...errors },
    },
    async (req, reply) => {
      const { partner, webhookSecret } = await registerPartner(db, deps, req.body)
      return reply.code(201).send({ partner: presentPartner(partner), webhookSecret })
    },
  )

  addRoute(
    app,
    'GET',
    '/api/admin/partners',
    {
      ...admin,
      summary: 'Every partner app',
      response: { 200: z.object({ partners: z.array(PartnerSchema) }), ...errors },
    },
    async () => ({ partners: (await listPartners(db)).map(presentPartner) }),
  )

  addRoute(
    app,
    'GET',
    '/api/admin/partners/:clientId',
    {
      ...admin,
      summary: 'One partner app',
      params: ClientIdParams,
      response: { 200: PartnerResponse, ...errors },
    },
    async (req) => ({ partner: presentPartner(await getPartner(db, req.params.clientId)) }),
  )

  addRoute(
    app,
    'PATCH',
    '/api/admin/partners/:clientId',
    {
      ...admin,
      summary: 'Change a partner app (same checks as registering; null clears logoUrl or webhookUrl)',
      params: ClientIdParams,
      body: UpdatePartnerBody,
      response: { 200: PartnerResponse, ...errors },
    },
    async (req) => ({
      partner: presentPartner(await updatePartnerSettings(db, deps, req.params.clientId, req.body)),
    }),
  )

  for (const [action, status] of [
    ['suspend', 'suspended'],
    ['activate', 'active'],
  ] as const) {
    addRoute(
      app,
      'POST',
      `/api/admin/partners/:clientId/${action}`,
      {
        ...admin,
        summary:
          action === 'suspend'
            ? 'Suspend a partner: its privileged scopes stop at once'
            : 'Reactivate a suspended partner',
        params: ClientIdParams,
        response: { 200: PartnerResponse, ...errors },
      },
      async (req) => ({
        partner: presentPartner(
          await setPartnerStatus(
            db,
            { clock, afterCommit: options.afterCommit },
            req.params.clientId,
            status,
          ),
        ),
      }),
    )
  }

  addRoute(
    app,
    'GET',
    '/api/admin/partners/:clientId/compliance',
    {
      ...admin,
      summary: "A partner's compliance: agreements, reports owed, deletion receipts, grants",
      params: ClientIdParams,
      response: { 200: ComplianceSchema, ...errors },
    },
    async (req) => presentCompliance(await partnerCompliance(db, complianceDeps, req.params.clientId)),
  )

  addRoute(
    app,
    'GET',
    '/api/admin/compliance',
    {
      ...admin,
      summary: 'The compliance summary of every partner',
      response: { 200: z.object({ partners: z.array(ComplianceSchema) }), ...errors },
    },
    async () => ({ partners: (await allPartnersCompliance(db, complianceDeps)).map(presentCompliance) }),
  )

  addRoute(
    app,
    'POST',
    '/api/admin/agreements',
    {
      ...admin,
      summary: 'Whitelist a partner for privileged APIs until a date: one agreement per API, versioned',
      description:
        'A bare date in validUntil means the end of that UTC day. ' +
        'Errors: partner_not_found, invalid_validity_period, agreement_overlaps.',
      body: CreateAgreementsBody,
      response: { 201: z.object({ agreements: z.array(AgreementSchema) }), ...errors },
    },
    async (req, reply) => {
      const agreements = await createAgreements(db, agreementDeps, {
        ...req.body,
        createdBy: actorOf(req).userId,
      })
      const now = clock.now()
      return reply.code(201).send({ agreements: agreements.map((a) => presentAgreement(a, now)) })
    },
  )

  addRoute(
    app,
    'GET',
    '/api/admin/agreements',
    {
      ...admin,
      summary: 'Every version of every agreement, or of one partner',
      query: AgreementsQuery,
      response: { 200: z.object({ agreements: z.array(AgreementSchema) }), ...errors },
    },
    async (req) => {
      const now = clock.now()
      const agreements = await listAgreements(db, { clientId: req.query.clientId })
      return { agreements: agreements.map((a) => presentAgreement(a, now)) }
    },
  )

  addRoute(
    app,
    'POST',
    '/api/admin/agreements/:id/extend',
    {
      ...admin,
      summary: 'Extend an agreement: a new version supersedes it, with no gap in coverage',
      params: AgreementParams,
      body: ExtendAgreementBody,
      response: { 201: z.object({ agreement: AgreementSchema, superseded: AgreementSchema }), ...errors },
    },
    async (req, reply) => {
      const { agreement, superseded } = await extendAgreement(db, agreementDeps, req.params.id, {
        validUntil: req.body.validUntil,
        createdBy: actorOf(req).userId,
      })
      const now = clock.now()
      return reply
        .code(201)
        .send({ agreement: presentAgreement(agreement, now), superseded: presentAgreement(superseded, now) })
    },
  )

  addRoute(
    app,
    'POST',
    '/api/admin/agreements/:id/end',
    {
      ...admin,
      summary: 'End an agreement now; its scopes stop on the next call',
      params: AgreementParams,
      body: EndAgreementBody,
      response: { 200: z.object({ agreement: AgreementSchema }), ...errors },
    },
    async (req) => {
      const agreement = await endAgreement(db, agreementDeps, req.params.id, req.body.reason)
      return { agreement: presentAgreement(agreement, clock.now()) }
    },
  )
}
