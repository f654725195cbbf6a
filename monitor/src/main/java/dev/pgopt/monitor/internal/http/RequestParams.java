package dev.pgopt.monitor.internal.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgopt.connect.Quantities;
import dev.pgopt.monitor.internal.MonitorCore;
import dev.pgopt.monitor.internal.TargetRuntime;
import io.javalin.http.Context;
import java.time.Duration;

/** Reading a request's path, query and body values; anything out of range is refused with a one-line ApiError. */
final class RequestParams {
  private RequestParams() {}

  static TargetRuntime target(MonitorCore core, Context ctx) {
    String name = ctx.pathParam("target");
    TargetRuntime rt = core.targets().get(name);
    if (rt == null) {
      throw new ApiError(404, "no target '" + name + "'; targets are " + core.targets().keySet());
    }
    return rt;
  }

  static int intParam(Context ctx, String name, int dflt, int min, int max) {
    String v = ctx.queryParam(name);
    if (v == null) {
      return dflt;
    }
    try {
      int i = Integer.parseInt(v);
      if (i < min || i > max) {
        throw new ApiError(400, name + " must be between " + min + " and " + max);
      }
      return i;
    } catch (NumberFormatException e) {
      throw new ApiError(400, name + " must be a whole number");
    }
  }

  static Duration duration(Context ctx, String name, Duration dflt) {
    String v = ctx.queryParam(name);
    if (v == null) {
      return dflt;
    }
    try {
      Duration d = Quantities.parseDuration(v);
      if (d.isZero()) {
        throw new ApiError(400, name + " must be more than 0");
      }
      return d;
    } catch (IllegalArgumentException e) {
      throw new ApiError(400, name + " must be a duration like 15s, 5m, 6h or 7d, not '" + v + "'");
    }
  }

  /** A boolean field; anything but true or false (a string "yes", say) is refused rather than read as false. */
  static boolean flag(JsonNode body, String name, boolean absent) {
    JsonNode n = body.path(name);
    if (n.isMissingNode()) {
      return absent;
    }
    if (!n.isBoolean()) {
      throw new ApiError(400, name + " must be true or false (a JSON boolean), not " + n);
    }
    return n.asBoolean();
  }
}
