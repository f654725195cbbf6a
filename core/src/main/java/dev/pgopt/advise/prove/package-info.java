/**
 * {@code advise --prove}: proposed indexes measured for real, in a transaction that is rolled back, against the
 * statements they claim and the workload's other statements whose plans they change.
 */
package dev.pgopt.advise.prove;
