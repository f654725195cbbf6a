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
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The shared tier: Redis through Lettuce, with versioned tags. A namespace clock ({@code pgopt:<ns>:clock}) hands out
 * stamps; each tag (and each key, as its own entry's tag) is a hash {@code pgopt:<ns>:g:<tag>} holding the stamp of its
 * last invalidation ({@code s}), the newest WAL position a write behind it reached ({@code l}) and when a write of
 * unknown position invalidated it ({@code u}). An entry ({@code pgopt:<ns>:e:<key>}) records the stamps of its tags
 * as they were when its load began. A read returns it only while every stamp still matches; a write lands only if they
 * still match (a late write from a load that began before an invalidation is refused, atomically, in the script); an
 * invalidation replaces the stamps. There is no index of keys per tag, so nothing can fall out of one. See
 * docs/client.md for why this is race-free. Commands fail at once while disconnected and time out quickly, so an
 * outage costs a cache miss, never a failed request; Lettuce reconnects (and resubscribes) by itself.
 */
public final class RedisTier implements AutoCloseable {
  // Stamps start from the server's clock in microseconds, so a Redis restarted empty never hands out an old stamp.
  private static final String CLOCK_INIT = """
      if redis.call('EXISTS', KEYS[CLOCK]) == 0 then
        local t = redis.call('TIME')
        redis.call('SET', KEYS[CLOCK], string.format('%d', tonumber(t[1]) * 1000000 + tonumber(t[2])))
      end
      local now = redis.call('TIME')
      local nowms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
      """;
  // KEYS: entry, clock, tag hashes in canonical order. ARGV: canonical tag list, lease ms, unknown-position window ms.
  // A hit returns {value}; a miss returns {'', stamps, lsn, primary} after giving every tag a stamp to record.
  private static final String READ = """
      local e = redis.call('HMGET', KEYS[1], 'd', 's', 't')
      if e[1] and e[3] == ARGV[1] then
        local i = 2
        local ok = true
        for stamp in string.gmatch(e[2], '[^,]+') do
          i = i + 1
          if i > #KEYS or redis.call('HGET', KEYS[i], 's') ~= stamp then ok = false break end
        end
        if ok and i == #KEYS then return {e[1]} end
        redis.call('DEL', KEYS[1])
      end
      """ + CLOCK_INIT.replace("KEYS[CLOCK]", "KEYS[2]") + """
      local stamps = {}
      local lsn = 0
      local primary = 0
      for i = 3, #KEYS do
        local v = redis.call('HMGET', KEYS[i], 's', 'l', 'u')
        local s = v[1]
        if not s then
          s = string.format('%d', redis.call('INCR', KEYS[2]))
          redis.call('HSET', KEYS[i], 's', s)
          redis.call('PEXPIRE', KEYS[i], ARGV[2])
        else
          if v[2] and tonumber(v[2]) > lsn then lsn = tonumber(v[2]) end
          if v[3] and nowms - tonumber(v[3]) < tonumber(ARGV[3]) then primary = 1 end
        end
        stamps[#stamps + 1] = s
      end
      return {'', table.concat(stamps, ','), string.format('%d', lsn), tostring(primary)}""";
  // KEYS: entry, tag hashes in canonical order. ARGV: value, stamps recorded at the load's start, canonical tags, ttl ms.
  private static final String PUT = """
      local i = 1
      for stamp in string.gmatch(ARGV[2], '[^,]+') do
        i = i + 1
        if redis.call('HGET', KEYS[i], 's') ~= stamp then return 0 end
      end
      redis.call('DEL', KEYS[1])
      redis.call('HSET', KEYS[1], 'd', ARGV[1], 's', ARGV[2], 't', ARGV[3])
      redis.call('PEXPIRE', KEYS[1], ARGV[4])
      local ttl = tonumber(ARGV[4])
      for j = 2, #KEYS do
        if redis.call('PTTL', KEYS[j]) < ttl then redis.call('PEXPIRE', KEYS[j], ARGV[4]) end
      end
      return 1""";
  // KEYS: clock, tag hashes. ARGV: channel ('' for none), message, lsn, '1' if the position is unknown, memory ms.
  private static final String INVALIDATE = CLOCK_INIT.replace("KEYS[CLOCK]", "KEYS[1]") + """
      local lsn = tonumber(ARGV[3])
      local memory = tonumber(ARGV[5])
      for i = 2, #KEYS do
        redis.call('HSET', KEYS[i], 's', string.format('%d', redis.call('INCR', KEYS[1])))
        if lsn > tonumber(redis.call('HGET', KEYS[i], 'l') or '0') then redis.call('HSET', KEYS[i], 'l', ARGV[3]) end
        if ARGV[4] == '1' then redis.call('HSET', KEYS[i], 'u', string.format('%d', nowms)) end
        if redis.call('PTTL', KEYS[i]) < memory then redis.call('PEXPIRE', KEYS[i], ARGV[5]) end
      end
      if ARGV[1] ~= '' then redis.call('PUBLISH', ARGV[1], ARGV[2]) end
      return 1""";

  /** A value found, or what a load must record and wait for. */
  public record Lookup(byte[] value, String stamps, long lsn, boolean primaryOnly) {
    public boolean hit() {
      return value != null;
    }
  }

  /** What other instances invalidated (internal tag names), and breaks after which messages may have been missed. */
  public interface Invalidations {
    void invalidated(Collection<String> tags, long lsn, boolean positionKnown);

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
    // origin \n lsn \n position known (1/0) \n tag \n tag ...
    List<String> parts = message.lines().toList();
    if (parts.size() < 4 || parts.get(0).equals(origin)) {
      return;
    }
    long lsn;
    try {
      lsn = Long.parseLong(parts.get(1));
    } catch (NumberFormatException e) {
      return;
    }
    listener.invalidated(parts.subList(3, parts.size()), lsn, parts.get(2).equals("1"));
  }

  /**
   * The entry for {@code key} if every stamp it recorded still matches; else the stamps a load beginning now records
   * and what it must see.
   *
   * @param tags internal tag names in canonical order, the key's own among them
   */
  public Lookup read(String key, String[] tags, String canonical, long leaseMillis, long unknownWindowMillis) {
    String[] keys = new String[2 + tags.length];
    keys[0] = prefix + "e:" + key;
    keys[1] = prefix + "clock";
    for (int i = 0; i < tags.length; i++) {
      keys[2 + i] = prefix + "g:" + tags[i];
    }
    List<Object> r = link().commands().eval(READ, ScriptOutputType.MULTI, keys, bytes(canonical),
        bytes(Long.toString(leaseMillis)), bytes(Long.toString(unknownWindowMillis)));
    byte[] first = (byte[]) r.get(0);
    if (first.length > 0) {
      return new Lookup(first, null, 0, false);
    }
    return new Lookup(null, text(r.get(1)), Long.parseLong(text(r.get(2))), text(r.get(3)).equals("1"));
  }

  /**
   * Writes without waiting: the caller already has its value. Redis keeps it only if no tag was invalidated since
   * {@code stamps} were handed out. {@code failed} counts a write Redis could not take.
   */
  public void put(String key, String[] tags, String canonical, String stamps, byte[] stored, long ttlMillis,
      Runnable failed) {
    Link l = link;
    if (l == null) {
      failed.run();
      return;
    }
    String[] keys = new String[1 + tags.length];
    keys[0] = prefix + "e:" + key;
    for (int i = 0; i < tags.length; i++) {
      keys[1 + i] = prefix + "g:" + tags[i];
    }
    l.connection().async().<Long>eval(PUT, ScriptOutputType.INTEGER, keys, stored, bytes(stamps), bytes(canonical),
            bytes(Long.toString(ttlMillis)))
        .whenComplete((ok, error) -> {
          if (error != null) {
            failed.run();
          }
        });
  }

  /**
   * Gives each tag a new stamp (every entry that recorded the old one is stale from now on, everywhere), notes the
   * writer's position, and announces it unless every instance hears it anyway.
   *
   * @param memoryMillis how long a tag's position and stamp are kept at least
   */
  public void invalidate(Collection<String> tags, long lsn, boolean positionKnown, boolean announce, long memoryMillis) {
    String[] keys = new String[1 + tags.size()];
    keys[0] = prefix + "clock";
    int i = 1;
    for (String t : tags) {
      keys[i++] = prefix + "g:" + t;
    }
    byte[] channelArg = announce ? bytes(channel) : new byte[0];
    byte[] message = announce
        ? bytes(origin + "\n" + lsn + "\n" + (positionKnown ? "1" : "0") + "\n" + String.join("\n", tags))
        : new byte[0];
    link().commands().eval(INVALIDATE, ScriptOutputType.INTEGER, keys, channelArg, message, bytes(Long.toString(lsn)),
        bytes(positionKnown ? "0" : "1"), bytes(Long.toString(memoryMillis)));
  }

  /** Runs {@code task} every {@code period} on this tier's own thread, for as long as it is open. */
  public void every(Duration period, Runnable task) {
    connector.scheduleWithFixedDelay(() -> {
      try {
        task.run();
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.DEBUG, () -> "pgopt cache: background task failed: " + e.getMessage());
      }
    }, period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String text(Object o) {
    return o instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : String.valueOf(o);
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
