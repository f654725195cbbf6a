package dev.pgopt.client.cache.internal;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The shared tier: Redis through Lettuce. Values live under {@code pgopt:<ns>:v:<key>}, and each tag is a set of the
 * keys it covers ({@code pgopt:<ns>:t:<tag>}), written together by one script. Invalidations are published so other
 * instances drop their L1 copies. Commands fail at once while disconnected and time out quickly, so an outage costs a
 * cache miss, never a failed request; Lettuce reconnects (and resubscribes) by itself.
 */
public final class RedisTier implements AutoCloseable {
  private static final String PUT = """
      redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
      for i = 2, #KEYS do
        redis.call('SADD', KEYS[i], KEYS[1])
        if redis.call('PTTL', KEYS[i]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[i], ARGV[2]) end
      end
      return 1""";
  // KEYS: tag sets; ARGV[1]: channel ('' for none), ARGV[2]: message. One round trip for drop and announce.
  private static final String DROP_TAGS = """
      local n = 0
      for i = 1, #KEYS do
        local members = redis.call('SMEMBERS', KEYS[i])
        for _, k in ipairs(members) do n = n + redis.call('DEL', k) end
        redis.call('DEL', KEYS[i])
      end
      if ARGV[1] ~= '' then redis.call('PUBLISH', ARGV[1], ARGV[2]) end
      return n""";
  private static final String DROP_KEYS = """
      local n = redis.call('DEL', unpack(KEYS))
      if ARGV[1] ~= '' then redis.call('PUBLISH', ARGV[1], ARGV[2]) end
      return n""";

  /** What other instances told us to drop. */
  public interface Invalidations {
    void keys(Collection<String> keys);

    void tags(Collection<String> tags);

    /** The connection came back after a break: messages may have been missed. */
    void reconnected();
  }

  private static final System.Logger LOG = System.getLogger(RedisTier.class.getName());
  private static final Duration MAX_RETRY = Duration.ofSeconds(5);

  /** The connections once Redis has answered; null until then. */
  private record Link(StatefulRedisConnection<String, byte[]> connection, RedisCommands<String, byte[]> commands,
                      StatefulRedisPubSubConnection<String, String> subscriber) {}

  private final RedisClient client;
  private final RedisURI uri;
  private final Invalidations listener;
  private final String prefix;
  private final String channel;
  private final String origin = UUID.randomUUID().toString();
  private final ScheduledExecutorService connector;
  private volatile Link link;
  private volatile boolean closed;

  /**
   * Connects within {@code connectTimeout}; when Redis does not answer, the tier starts without it (every call is a
   * miss or an error the cache absorbs) and keeps trying in the background, so an application can start while Redis is
   * slow or down. Once connected, Lettuce reconnects by itself.
   *
   * @param commandTimeout how long one command may take before it counts as an error
   */
  public RedisTier(RedisURI uri, String namespace, Duration commandTimeout, Duration connectTimeout, Invalidations listener) {
    this.prefix = "pgopt:" + namespace + ":";
    this.channel = prefix + "invalidate";
    this.uri = uri;
    this.listener = listener;
    uri.setTimeout(commandTimeout);
    client = RedisClient.create(uri);
    client.setOptions(ClientOptions.builder()
        .autoReconnect(true)
        .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
        .timeoutOptions(TimeoutOptions.enabled(commandTimeout))
        .socketOptions(SocketOptions.builder().connectTimeout(connectTimeout).build())
        .build());
    connector = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "pgopt-cache-redis-connect");
      t.setDaemon(true);
      return t;
    });
    try {
      link = open();
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "pgopt cache: Redis at " + uri.getHost() + ":" + uri.getPort()
          + " did not answer (" + rootMessage(e) + "); serving from L1 only and connecting in the background");
      connector.schedule(() -> retry(Duration.ofMillis(200)), 200, TimeUnit.MILLISECONDS);
    }
  }

  /** Whether Redis has answered since the start (it may be disconnected for a moment later; Lettuce reconnects). */
  public boolean linked() {
    return link != null;
  }

  private void retry(Duration delay) {
    if (closed) {
      return;
    }
    try {
      Link opened = open();
      // what other instances invalidated meanwhile was never heard here: start L1 afresh before Redis is used
      listener.reconnected();
      link = opened;
      LOG.log(System.Logger.Level.INFO, "pgopt cache: connected to Redis at " + uri.getHost() + ":" + uri.getPort());
    } catch (RuntimeException e) {
      Duration next = delay.multipliedBy(2).compareTo(MAX_RETRY) > 0 ? MAX_RETRY : delay.multipliedBy(2);
      connector.schedule(() -> retry(next), next.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  private Link open() {
    StatefulRedisConnection<String, byte[]> connection = null;
    StatefulRedisPubSubConnection<String, String> subscriber = null;
    try {
      connection = client.connect(RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE));
      subscriber = client.connectPubSub();
      subscriber.addListener(new RedisPubSubAdapter<>() {
        @Override
        public void message(String ch, String message) {
          deliver(message, listener);
        }
      });
      subscriber.sync().subscribe(channel);
      connection.addListener(new RedisConnectionStateListener() {
        private volatile boolean lost;

        @Override
        public void onRedisDisconnected(RedisChannelHandler<?, ?> c) {
          lost = true;
        }

        @Override
        public void onRedisConnected(RedisChannelHandler<?, ?> c, SocketAddress address) {
          if (lost) {
            lost = false;
            listener.reconnected();
          }
        }
      });
      return new Link(connection, connection.sync(), subscriber);
    } catch (RuntimeException e) {
      if (subscriber != null) {
        subscriber.close();
      }
      if (connection != null) {
        connection.close();
      }
      throw e;
    }
  }

  private Link link() {
    Link l = link;
    if (l == null) {
      throw new RedisConnectionException("not connected to Redis yet");
    }
    return l;
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  private void deliver(String message, Invalidations listener) {
    // origin \n kind \n item \n item ...
    List<String> parts = message.lines().toList();
    if (parts.size() < 2 || parts.get(0).equals(origin)) {
      return;
    }
    List<String> items = parts.subList(2, parts.size());
    if (parts.get(1).equals("k")) {
      listener.keys(items);
    } else if (parts.get(1).equals("t")) {
      listener.tags(items);
    }
  }

  public byte[] get(String key) {
    return link().commands().get(prefix + "v:" + key);
  }

  /**
   * Writes without waiting: the caller already has its value. Commands on one connection run in order, so a later
   * invalidation from this instance still lands after this write. {@code failed} counts a write Redis refused.
   */
  public void put(String key, byte[] stored, long ttlMillis, Set<String> tags, Runnable failed) {
    String[] keys = new String[1 + tags.size()];
    keys[0] = prefix + "v:" + key;
    int i = 1;
    for (String t : tags) {
      keys[i++] = prefix + "t:" + t;
    }
    Link l = link;
    if (l == null) {
      failed.run();
      return;
    }
    l.connection().async().<Long>eval(PUT, ScriptOutputType.INTEGER, keys, stored,
            Long.toString(ttlMillis).getBytes(StandardCharsets.US_ASCII))
        .whenComplete((ok, error) -> {
          if (error != null) {
            failed.run();
          }
        });
  }

  public void invalidateKeys(Collection<String> keys, boolean announce) {
    link().commands().eval(DROP_KEYS, ScriptOutputType.INTEGER, keys.stream().map(k -> prefix + "v:" + k).toArray(String[]::new),
        announcement(announce, "k", keys));
  }

  public void invalidateTags(Collection<String> tags, boolean announce) {
    link().commands().eval(DROP_TAGS, ScriptOutputType.INTEGER, tags.stream().map(t -> prefix + "t:" + t).toArray(String[]::new),
        announcement(announce, "t", tags));
  }

  private byte[][] announcement(boolean announce, String kind, Collection<String> items) {
    if (!announce) {
      return new byte[][] {new byte[0], new byte[0]};
    }
    return new byte[][] {channel.getBytes(StandardCharsets.UTF_8),
        (origin + "\n" + kind + "\n" + String.join("\n", items)).getBytes(StandardCharsets.UTF_8)};
  }

  public boolean isConnected() {
    Link l = link;
    return l != null && l.connection().isOpen();
  }

  @Override
  public void close() {
    closed = true;
    connector.shutdownNow();
    Link l = link;
    if (l != null) {
      l.subscriber().close();
      l.connection().close();
    }
    client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
  }
}
