/**
 * pgvector support: inspection, measured tuning, index builds, halfvec migration and the {@code vector.*} advisor
 * rules.
 */
package dev.pgopt.vector;
