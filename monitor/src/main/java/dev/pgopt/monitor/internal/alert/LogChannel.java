package dev.pgopt.monitor.internal.alert;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One JSON line per notification on the {@code pgopt.alerts} logger, for log-based alerting. */
public final class LogChannel implements Channel {
  private static final Logger LOG = LoggerFactory.getLogger("pgopt.alerts");
  private static final ObjectMapper JSON = new ObjectMapper();
  private final String name;

  public LogChannel(String name) {
    this.name = name;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public void send(Notification n) throws Exception {
    String line = JSON.writeValueAsString(n.json());
    if (n.severity() == Severity.CRITICAL && n.event() != Notification.Event.RESOLVED) {
      LOG.error(line);
    } else {
      LOG.warn(line);
    }
  }
}
