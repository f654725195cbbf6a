/** Local PostgreSQL, Redis and PgBouncer processes for the demo, tests and benchmarks. */
module dev.pgopt.local {
  exports dev.pgopt.local;
}
