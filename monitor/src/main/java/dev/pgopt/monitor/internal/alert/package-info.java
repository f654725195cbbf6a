/**
 * Alert rules and their engine (pending, firing, escalated, repeat, resolved), and the channels that deliver
 * notifications: log, webhook, Slack, email.
 */
package dev.pgopt.monitor.internal.alert;
