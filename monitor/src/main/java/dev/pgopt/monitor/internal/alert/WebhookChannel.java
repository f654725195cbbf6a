package dev.pgopt.monitor.internal.alert;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * POSTs JSON: pgopt's own payload ({@link Notification#json()}), or with {@code slack} a Slack incoming-webhook
 * message ({@code text} plus a coloured attachment), which Mattermost, Rocket.Chat and Discord's /slack endpoint accept.
 */
public final class WebhookChannel implements Channel {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final String name;
  private final URI url;
  private final boolean slack;
  private final HttpClient http;

  public WebhookChannel(String name, String url, boolean slack) {
    this.name = name;
    this.url = URI.create(url);
    this.slack = slack;
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public void send(Notification n) throws Exception {
    String body = JSON.writeValueAsString(slack ? slackBody(n) : n.json());
    HttpRequest request = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(10))
        .header("Content-Type", "application/json").header("User-Agent", "pgopt-monitor")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    HttpResponse<Void> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.discarding());
    } catch (IOException e) {
      throw new IOException("webhook " + name + " (" + url.getHost() + ") unreachable: " + e.getClass().getSimpleName(), e);
    }
    int status = response.statusCode();
    if (status >= 200 && status < 300) {
      return;
    }
    if (status >= 400 && status < 500 && status != 408 && status != 429) {
      throw new Permanent("webhook " + name + " refused the notification with HTTP " + status);
    }
    throw new IOException("webhook " + name + " answered HTTP " + status);
  }

  static Map<String, Object> slackBody(Notification n) {
    String colour = n.event() == Notification.Event.RESOLVED ? "good" : n.severity() == Severity.CRITICAL ? "danger" : "warning";
    return Map.of("text", n.title(), "attachments", List.of(Map.of("color", colour, "text", n.message(),
        "footer", "pgopt monitor", "fallback", n.text())));
  }
}
