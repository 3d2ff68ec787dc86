import type { AppError } from './errors.ts'

export interface Rule<A, R> {
  allow: (actor: A, resource: R) => boolean
  /** The error when refused: a 404 where the actor may not even know the resource exists. */
  deny: () => AppError
}

/**
 * One table of object-level rules for a domain: `can` answers, `authorize` throws the rule's error.
 * Rules are pure functions of what the service already loaded.
 */
export function definePolicies<T extends Record<string, Rule<never, never>>>(rules: T) {
  type ActorOf<K extends keyof T> = T[K] extends Rule<infer A, never> ? A : never
  type ResourceOf<K extends keyof T> = T[K] extends Rule<never, infer R> ? R : never
  return {
    can<K extends keyof T>(actor: ActorOf<K>, action: K, resource: ResourceOf<K>): boolean {
      return (rules[action] as unknown as Rule<ActorOf<K>, ResourceOf<K>>).allow(actor, resource)
    },
    authorize<K extends keyof T>(actor: ActorOf<K>, action: K, resource: ResourceOf<K>): void {
      const rule = rules[action] as unknown as Rule<ActorOf<K>, ResourceOf<K>>
      if (!rule.allow(actor, resource)) throw rule.deny()
    },
  }
}
