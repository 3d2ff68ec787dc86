import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { compactVerify, decodeProtectedHeader, generateKeyPair } from 'jose'
import { canonicalize, signReport } from './sign.ts'

const float = (hex: string) => Buffer.from(hex, 'hex').readDoubleBE(0)

describe('JCS (RFC 8785) and the signed report', () => {
  test('RFC 8785 §3.2.2: the sample input canonicalizes to the published bytes', () => {
    const input = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001], "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", "literals": [null, true, false]}',
    )
    assert.equal(
      canonicalize(input),
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    )
  })

  test('RFC 8785 §3.2.3: members sorted by UTF-16 code units, not by code points or locale', () => {
    const input = JSON.parse(
      '{"\\u20ac": "Euro Sign", "\\r": "Carriage Return", "\\ufb33": "Hebrew Letter Dalet With Dagesh", "1": "One", "\\ud83d\\ude00": "Emoji: Grinning Face", "\\u0080": "Control", "\\u00f6": "Latin Small Letter O With Diaeresis"}',
    )
    assert.equal(
      canonicalize(input),
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    )
    assert.equal(
      canonicalize({ péché: 2, peach: 1, sin: 4, pêche: 3 }),
      '{"peach":1,"péché":2,"pêche":3,"sin":4}',
    )
  })

  test('RFC 8785 appendix B: numbers serialize as ECMAScript does', () => {
    const vectors: [string, string][] = [
      ['0000000000000000', '0'],
      ['8000000000000000', '0'],
      ['0000000000000001', '5e-324'],
      ['8000000000000001', '-5e-324'],
      ['7fefffffffffffff', '1.7976931348623157e+308'],
      ['ffefffffffffffff', '-1.7976931348623157e+308'],
      ['4340000000000000', '9007199254740992'],
      ['c340000000000000', '-9007199254740992'],
      ['4430000000000000', '295147905179352830000'],
      ['44b52d02c7e14af5', '9.999999999999997e+22'],
      ['44b52d02c7e14af6', '1e+23'],
      ['44b52d02c7e14af7', '1.0000000000000001e+23'],
      ['444b1ae4d6e2ef4e', '999999999999999700000'],
      ['444b1ae4d6e2ef4f', '999999999999999900000'],
      ['444b1ae4d6e2ef50', '1e+21'],
      ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
      ['3eb0c6f7a0b5ed8d', '0.000001'],
      ['41b3de4355555553', '333333333.3333332'],
      ['41b3de4355555554', '333333333.33333325'],
      ['41b3de4355555555', '333333333.3333333'],
      ['41b3de4355555556', '333333333.3333334'],
      ['41b3de4355555557', '333333333.33333343'],
      ['becbf647612f3696', '-0.0000033333333333333333'],
      ['43143ff3c1cb0959', '1424953923781206.2'],
    ]
    for (const [hex, expected] of vectors) assert.equal(canonicalize(float(hex)), expected, hex)
    for (const hex of ['7fffffffffffffff', '7ff0000000000000', 'fff0000000000000'])
      assert.throws(() => canonicalize(float(hex)), TypeError, hex)
  })

  test('what JSON has no form for is refused; undefined members are left out as JSON does', () => {
    assert.throws(() => canonicalize({ s: '\ud800' }), /lone surrogate/)
    assert.throws(() => canonicalize({ f: () => 1 }), TypeError)
    assert.throws(() => canonicalize(10n), TypeError)
    assert.equal(
      canonicalize({ b: undefined, a: [undefined, 1], d: new Date(0) }),
      '{"a":[null,1],"d":"1970-01-01T00:00:00.000Z"}',
    )
  })

  test('the report is signed as a compact EdDSA JWS over its JCS bytes, with the kid', async () => {
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' })
    const report = { schema: 'tandem.partner-report/1', rows: [{ sends: 3, day: '2026-01-01' }], b: 1.5 }
    const jws = await signReport(report, { privateKey, kid: 'marquee-2026' })
    assert.deepEqual(decodeProtectedHeader(jws), { alg: 'EdDSA', kid: 'marquee-2026' })
    const { payload } = await compactVerify(jws, publicKey)
    assert.equal(new TextDecoder().decode(payload), canonicalize(report))
    assert.equal(
      new TextDecoder().decode(payload),
      '{"b":1.5,"rows":[{"day":"2026-01-01","sends":3}],"schema":"tandem.partner-report/1"}',
    )
    // The same report in another member order signs the same bytes.
    const again = await signReport(
      { b: 1.5, rows: [{ day: '2026-01-01', sends: 3 }], schema: report.schema },
      {
        privateKey,
        kid: 'marquee-2026',
      },
    )
    assert.equal(again.split('.')[1], jws.split('.')[1])
    const [h, p, s] = jws.split('.') as [string, string, string]
    const altered = Buffer.from(p, 'base64url')
    altered[5]! ^= 1
    await assert.rejects(compactVerify(`${h}.${altered.toString('base64url')}.${s}`, publicKey))
  })
})
