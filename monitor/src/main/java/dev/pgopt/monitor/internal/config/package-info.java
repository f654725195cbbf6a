/** Reading pgopt.yml: typed, path-named reads of its mappings with secrets resolved. */
package dev.pgopt.monitor.internal.config;
