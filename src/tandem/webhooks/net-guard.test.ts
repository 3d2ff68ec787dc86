import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { AppError, toErrorResponse } from '../../lib/errors.ts'
import { assertPublicHttpUrl, type HostLookup, isPrivateAddress } from '../../lib/net-guard.ts'

const production = { allowLoopback: false, production: true }
const development = { allowLoopback: true, production: false }

const fakeDns =
  (table: Record<string, string[]>): HostLookup =>
  async (host) => {
    const addresses = table[host]
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' })
    return addresses.map((address) => ({ address }))
  }

async function refusal(url: string, options: Parameters<typeof assertPublicHttpUrl>[1]) {
  try {
    await assertPublicHttpUrl(url, options)
  } catch (error) {
    assert.ok(error instanceof AppError, `${url}: ${String(error)}`)
    return toErrorResponse(error)
  }
  assert.fail(`${url} was admitted`)
}

describe('isPrivateAddress (SECURITY row 43)', () => {
  test('internal IPv4 ranges', () => {
    for (const ip of [
      '0.0.0.0',
      '0.1.2.3',
      '10.0.0.1',
      '10.255.255.255',
      '100.64.0.1',
      '100.127.255.254',
      '127.0.0.1',
      '127.8.9.10',
      '169.254.169.254',
      '172.16.0.1',
      '172.31.255.255',
      '192.0.0.8',
      '192.0.2.1',
      '192.168.1.1',
      '198.18.0.1',
      '198.51.100.7',
      '203.0.113.9',
      '224.0.0.1',
      '239.255.255.250',
      '240.0.0.1',
      '255.255.255.255',
    ]) {
      assert.equal(isPrivateAddress(ip), true, ip)
    }
  })

  test('public IPv4 addresses, including the neighbours of private ranges', () => {
    for (const ip of [
      '1.1.1.1',
      '8.8.8.8',
      '9.255.255.255',
      '11.0.0.0',
      '100.63.255.255',
      '100.128.0.0',
      '126.255.255.255',
      '128.0.0.0',
      '169.253.255.255',
      '172.15.255.255',
      '172.32.0.0',
      '192.167.255.255',
      '192.169.0.0',
      '223.255.255.255',
    ]) {
      assert.equal(isPrivateAddress(ip), false, ip)
    }
  })

  test('internal IPv6 ranges and IPv6 forms of internal IPv4 addresses', () => {
    for (const ip of [
      '::',
      '::1',
      '[::1]',
      '0:0:0:0:0:0:0:1',
      'fe80::1',
      'fe80::1%eth0',
      'febf:ffff::1',
      'fec0::1',
      'fc00::1',
      'fd12:3456:789a::1',
      'ff02::1',
      '100::1',
      '2001:db8::1',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '::ffff:10.0.0.1',
      '::ffff:169.254.169.254',
      '::ffff:a9fe:a9fe',
      '0:0:0:0:0:ffff:c0a8:0101',
      '::127.0.0.1',
      '::10.0.0.1',
      '64:ff9b::10.0.0.1',
      '64:ff9b::7f00:1',
      '2002:0a00:0001::1',
      '2002:7f00:1::',
    ]) {
      assert.equal(isPrivateAddress(ip), true, ip)
    }
  })

  test('public IPv6 addresses', () => {
    for (const ip of [
      '2606:4700:4700::1111',
      '2001:4860:4860::8888',
      '2a00:1450:4001:82a::200e',
      '::ffff:8.8.8.8',
      '64:ff9b::8.8.8.8',
      '2002:0808:0808::1',
    ]) {
      assert.equal(isPrivateAddress(ip), false, ip)
    }
  })

  test('anything that is not an IP address counts as private (fails closed)', () => {
    for (const value of ['', 'localhost', 'example.com', '10.0.0', '1.2.3.4.5', '::g', '0x7f000001']) {
      assert.equal(isPrivateAddress(value), true, value)
    }
  })
})

describe('assertPublicHttpUrl (SECURITY row 43)', () => {
  test('registering http://10.0.0.1/hook in production → 400 unsafe_url', async () => {
    assert.deepEqual(await refusal('http://10.0.0.1/hook', production), {
      status: 400,
      body: {
        error: { code: 'unsafe_url', message: 'the URL must use https', details: { reason: 'scheme' } },
      },
      headers: {},
    })
  })

  test('in production, IP literals and names resolving to internal addresses are refused', async () => {
    const lookup = fakeDns({
      'internal.partner.example': ['10.0.0.1'],
      'metadata.partner.example': ['169.254.169.254'],
      'mixed.partner.example': ['93.184.216.34', '::1'],
      'mapped.partner.example': ['::ffff:127.0.0.1'],
    })
    for (const url of [
      'https://10.0.0.1/hook',
      'https://127.0.0.1/hook',
      'https://[::1]/hook',
      'https://169.254.169.254/latest/meta-data',
      'https://[::ffff:169.254.169.254]/x',
      'https://0x7f000001/hook',
      'https://2130706433/hook',
      'https://017700000001/hook',
      'https://internal.partner.example/hook',
      'https://metadata.partner.example/hook',
      'https://mixed.partner.example/hook',
      'https://mapped.partner.example/hook',
      'https://localhost/hook',
    ]) {
      const options = url.includes('localhost') ? production : { ...production, lookup }
      assert.deepEqual(
        (await refusal(url, options)).body,
        {
          error: {
            code: 'unsafe_url',
            message: 'the URL points to an internal address',
            details: { reason: 'internal_address' },
          },
        },
        url,
      )
    }
  })

  test('in production, a public host is admitted and an unresolvable one refused', async () => {
    const lookup = fakeDns({ 'hooks.marquee.example': ['93.184.216.34', '2606:2800:220:1::1'] })
    const url = await assertPublicHttpUrl('https://hooks.marquee.example/tandem?x=1', {
      ...production,
      lookup,
    })
    assert.equal(url.href, 'https://hooks.marquee.example/tandem?x=1')
    assert.equal(
      (await assertPublicHttpUrl('https://93.184.216.34/hook', production)).hostname,
      '93.184.216.34',
    )
    assert.deepEqual(
      (await refusal('https://nowhere.marquee.example/hook', { ...production, lookup })).body,
      {
        error: {
          code: 'unsafe_url',
          message: 'the URL host does not resolve',
          details: { reason: 'unresolvable' },
        },
      },
    )
  })

  test('http is for loopback hosts only, and only when loopback is allowed', async () => {
    for (const url of [
      'http://127.0.0.1:4000/hook',
      'http://localhost:4000/hook',
      'http://[::1]:4000/hook',
    ]) {
      assert.equal((await assertPublicHttpUrl(url, development)).href, url)
      assert.equal((await refusal(url, { allowLoopback: false, production: false })).status, 400)
    }
    assert.deepEqual((await refusal('http://marquee.example/hook', development)).body, {
      error: {
        code: 'unsafe_url',
        message: 'the URL must use https (http only for loopback hosts)',
        details: { reason: 'scheme' },
      },
    })
    // Development does not resolve names: private https hosts are fine there.
    assert.equal((await assertPublicHttpUrl('https://10.0.0.1/hook', development)).hostname, '10.0.0.1')
  })

  test('other schemes, credentials and garbage', async () => {
    for (const [url, reason] of [
      ['ftp://marquee.example/hook', 'scheme'],
      ['file:///etc/passwd', 'invalid'],
      ['javascript:alert(1)', 'invalid'],
      ['not a url', 'invalid'],
      ['https://user:pass@marquee.example/hook', 'credentials'],
    ] as const) {
      const { status, body } = await refusal(url, development)
      assert.equal(status, 400, url)
      assert.equal(body.error.code, 'unsafe_url', url)
      assert.deepEqual(body.error.details, { reason }, url)
    }
  })
})
