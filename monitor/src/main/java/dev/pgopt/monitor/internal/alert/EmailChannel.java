package dev.pgopt.monitor.internal.alert;

import dev.pgopt.monitor.MonitorConfig;
import jakarta.mail.Authenticator;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.PasswordAuthentication;
import jakarta.mail.SendFailedException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.util.Date;
import java.util.Properties;

/** Plain-text mail over SMTP (Jakarta Mail / Angus), STARTTLS when the server offers it unless turned off. */
public final class EmailChannel implements Channel {
  private final String name;
  private final MonitorConfig.Email settings;
  private final Session session;

  public EmailChannel(String name, MonitorConfig.Email settings) {
    this.name = name;
    this.settings = settings;
    Properties p = new Properties();
    p.put("mail.smtp.host", settings.host());
    p.put("mail.smtp.port", Integer.toString(settings.port()));
    p.put("mail.smtp.connectiontimeout", "5000");
    p.put("mail.smtp.timeout", "10000");
    p.put("mail.smtp.writetimeout", "10000");
    p.put("mail.smtp.starttls.enable", Boolean.toString(settings.startTls()));
    p.put("mail.smtp.auth", Boolean.toString(settings.username().isPresent()));
    Authenticator auth = settings.username().isEmpty() ? null : new Authenticator() {
      @Override
      protected PasswordAuthentication getPasswordAuthentication() {
        return new PasswordAuthentication(settings.username().get(), settings.password().orElse(""));
      }
    };
    this.session = Session.getInstance(p, auth);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public void send(Notification n) throws Exception {
    try {
      MimeMessage m = new MimeMessage(session);
      m.setFrom(new InternetAddress(settings.from()));
      for (String to : settings.to()) {
        m.addRecipient(Message.RecipientType.TO, new InternetAddress(to));
      }
      m.setSubject(n.title(), "UTF-8");
      m.setSentDate(new Date());
      m.setText(n.text() + "\n\n" + new com.fasterxml.jackson.databind.ObjectMapper().writerWithDefaultPrettyPrinter()
          .writeValueAsString(n.json()) + "\n", "UTF-8");
      Transport.send(m);
    } catch (SendFailedException e) {
      throw new Permanent("email " + name + ": the server refused the recipients (" + e.getMessage() + ")");
    } catch (MessagingException e) {
      throw new MessagingException("email " + name + " via " + settings.host() + ":" + settings.port() + " failed: "
          + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().lines().findFirst().orElse("")), e);
    }
  }
}
