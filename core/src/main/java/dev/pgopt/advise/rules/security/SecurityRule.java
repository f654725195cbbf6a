package dev.pgopt.advise.rules.security;

import dev.pgopt.advise.Rule;

/**
 * The family every {@code security.*} rule belongs to: one rule id, so a pattern for any of its findings
 * ({@code --rules security.tenant_rls}, {@code apply --id security.public_create:public}) runs them all and then keeps
 * the findings it names.
 */
abstract class SecurityRule implements Rule {
  @Override
  public final String id() {
    return "security";
  }
}
