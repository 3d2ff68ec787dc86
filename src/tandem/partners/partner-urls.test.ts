import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { isInternalHost, type PartnerUrlRules, partnerUrlProblem, partnerUrlRules } from './partner-urls.ts'

const dev: PartnerUrlRules = { allowLoopbackHttp: true, refuseInternalHosts: false }
const strictDev: PartnerUrlRules = { allowLoopbackHttp: false, refuseInternalHosts: false }
const production: PartnerUrlRules = { allowLoopbackHttp: false, refuseInternalHosts: true }
const hostOf = (url: string) => new URL(url).hostname

describe('partner URL rules', () => {
  test('rules follow the config: loopback http only when allowed, internal hosts refused in production', () => {
    assert.deepEqual(partnerUrlRules({ env: 'development', allowLoopbackPartnerUrls: true }), dev)
    assert.deepEqual(partnerUrlRules({ env: 'production', allowLoopbackPartnerUrls: false }), production)
  })

  test('SECURITY row 3: redirect URIs are https; http only for loopback hosts, and only when allowed', () => {
    const cases: Array<[string, PartnerUrlRules, ReturnType<typeof partnerUrlProblem>]> = [
      ['https://partner.example/cb', production, undefined],
      ['https://partner.example:8443/cb?x=1', production, undefined],
      ['http://partner.example/cb', dev, 'https_required'],
      ['http://localhost:4000/cb', dev, undefined],
      ['http://127.0.0.1:4000/cb', dev, undefined],
      ['http://[::1]:4000/cb', dev, undefined],
      ['http://localhost:4000/cb', strictDev, 'https_required'],
      ['http://127.0.0.2/cb', dev, 'https_required'],
      ['http://10.0.0.1/cb', dev, 'https_required'],
      ['com.partner.app:/cb', dev, 'https_required'],
      ['javascript:alert(1)', dev, 'https_required'],
      ['/cb', dev, 'not_absolute_url'],
      ['partner.example/cb', dev, 'not_absolute_url'],
      ['https://partner.example/cb#x', dev, 'fragment_not_allowed'],
      ['https://partner.example/cb#', dev, 'fragment_not_allowed'],
      ['https://user:pw@partner.example/cb', dev, 'userinfo_not_allowed'],
      ['https://@partner.example/cb', dev, 'userinfo_not_allowed'],
      ['https://*.partner.example/cb', dev, 'wildcard_not_allowed'],
      ['https://partner.example/*', dev, 'wildcard_not_allowed'],
      ['https://partner.example/c b', dev, 'whitespace_not_allowed'],
      [' https://partner.example/cb', dev, 'whitespace_not_allowed'],
      ['https://partner.example/c\tb', dev, 'whitespace_not_allowed'],
    ]
    for (const [url, rules, expected] of cases) {
      assert.equal(partnerUrlProblem(url, 'redirect', rules), expected, url)
    }
  })

  test('SECURITY row 43: in production, internal hosts are refused before anything else', () => {
    for (const url of [
      'http://10.0.0.1/hook',
      'https://10.0.0.1/hook',
      'https://172.16.5.4/',
      'https://172.31.255.255/',
      'https://192.168.1.1/',
      'https://169.254.169.254/latest/meta-data',
      'https://100.64.0.1/',
      'https://127.0.0.1/',
      'https://0.0.0.0/',
      'https://localhost/',
      'https://LOCALHOST./',
      'https://api.localhost/',
      'https://0x7f.1/',
      'https://2130706433/',
      'https://[::1]/',
      'https://[::]/',
      'https://[fd00::1]/',
      'https://[fc12:3456::1]/',
      'https://[fe80::1]/',
      'https://[::ffff:10.0.0.1]/',
      'https://[::ffff:7f00:1]/',
      'https://[64:ff9b::a9fe:a9fe]/',
      'https://[2002:a00:1::]/',
    ]) {
      assert.equal(partnerUrlProblem(url, 'endpoint', production), 'internal_address', url)
      assert.equal(partnerUrlProblem(url, 'redirect', production), 'internal_address', url)
    }
    for (const url of [
      'https://93.184.216.34/hook',
      'https://172.32.0.1/',
      'https://[2606:4700::1111]/',
      'https://partner.example/',
    ]) {
      assert.equal(partnerUrlProblem(url, 'endpoint', production), undefined, url)
    }
  })

  test('pages may carry a fragment; endpoints and redirect URIs may not', () => {
    assert.equal(partnerUrlProblem('https://p.example/legal#privacy', 'page', dev), undefined)
    assert.equal(partnerUrlProblem('https://p.example/jwks#x', 'endpoint', dev), 'fragment_not_allowed')
    assert.equal(partnerUrlProblem('https://p.example/logo*.png', 'page', dev), undefined)
  })

  test('host classification on normalised hostnames', () => {
    assert.equal(isInternalHost(hostOf('https://10.1.2.3/')), true)
    assert.equal(isInternalHost(hostOf('https://11.1.2.3/')), false)
    assert.equal(isInternalHost(hostOf('https://172.15.0.1/')), false)
    assert.equal(isInternalHost(hostOf('https://100.128.0.1/')), false)
    assert.equal(isInternalHost(hostOf('https://[fbff::1]/')), false)
    assert.equal(isInternalHost(hostOf('https://[fec0::1]/')), true)
    assert.equal(isInternalHost(hostOf('https://[::ffff:8.8.8.8]/')), false)
    assert.equal(isInternalHost('[::ffff:192.168.0.1]'), true)
    assert.equal(isInternalHost('[not-an-address]'), true, 'an unparsable bracketed host is not trusted')
    assert.equal(isInternalHost('localhost.example'), false)
  })
})
