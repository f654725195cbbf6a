/**
 * Planning an ANN index build: parameters, memory, parallel workers, and the action the applier runs.
 */
package dev.pgopt.vector.build;
