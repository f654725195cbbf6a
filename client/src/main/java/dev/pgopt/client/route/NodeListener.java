package dev.pgopt.client.route;

/**
 * Hears node transitions. Called on the thread that noticed the change (the health checker, or a request that lost its
 * connection): keep it short and do not block; exceptions are logged and ignored.
 */
@FunctionalInterface
public interface NodeListener {
  void onTransition(NodeTransition transition);
}
