import { describe, expect, it } from 'vitest';
import {
  formatSecurityServerId,
  formatServiceId,
  parseMemberId,
  parseSecurityServerId,
  parseServiceId,
  parseSubsystemId,
  serviceIdString,
  subsystemIdText,
  IdentifierError,
} from '../src/index.ts';

describe('identifiers', () => {
  it('parses and formats every kind round trip', () => {
    const service = parseServiceId('JP-TEST/COM/1234567890123/healthcare/vitals');
    expect(service).toEqual({
      instance: 'JP-TEST',
      memberClass: 'COM',
      memberCode: '1234567890123',
      subsystemCode: 'healthcare',
      serviceCode: 'vitals',
    });
    expect(formatServiceId(service)).toBe('JP-TEST/COM/1234567890123/healthcare/vitals');
    const server = parseSecurityServerId('JP-TEST/GOV/0000000000001/ss1');
    expect(formatSecurityServerId(server)).toBe('JP-TEST/GOV/0000000000001/ss1');
    expect(parseMemberId('JP-TEST/ORG/abc').memberCode).toBe('abc');
  });

  it("accepts X-Road's ':' separator on input", () => {
    expect(parseSubsystemId('JP-TEST:COM:123:shop')).toEqual(parseSubsystemId('JP-TEST/COM/123/shop'));
  });

  it('rejects the wrong number of parts, empty parts and characters outside the X-Road set', () => {
    expect(() => parseSubsystemId('JP-TEST/COM/123')).toThrow(IdentifierError);
    expect(() => parseSubsystemId('JP-TEST/COM//shop')).toThrow(/part 3/);
    expect(() => parseSubsystemId('JP-TEST/COM/123/sh op')).toThrow(IdentifierError);
    expect(() => parseSubsystemId('JP-TEST/COM/123/%2e%2e')).toThrow(IdentifierError);
    expect(() => parseSubsystemId('JP-TEST/COM/123/健康')).toThrow(IdentifierError);
    expect(() => parseMemberId('')).toThrow(IdentifierError);
  });

  it('zod schemas parse string forms and report the reason', () => {
    expect(serviceIdString.parse('A/B/C/D/E').serviceCode).toBe('E');
    const bad = serviceIdString.safeParse('A/B/C/D');
    expect(bad.success).toBe(false);
    expect(subsystemIdText.safeParse('A/B/C/D').success).toBe(true);
    expect(subsystemIdText.safeParse('A:B:C:D').success).toBe(false);
  });
});
