/**
 * Managed platforms' HTTP APIs (Neon's v2 API: projects, branches, computes, consumption) and provider price tables
 * kept as data. No SQL here: what the server itself says about its platform is read by the engine.
 */
module dev.pgopt.cloud {
  requires transitive com.fasterxml.jackson.databind;
  requires java.net.http;

  exports dev.pgopt.cloud.neon;
  exports dev.pgopt.cloud.price;

  opens dev.pgopt.cloud.price;
}
