package dev.pgopt.client.route;

public enum Role { PRIMARY, REPLICA }
