package dev.pgopt.monitor.internal.http;

import dev.pgopt.monitor.ConfigException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A key store from a PEM certificate chain and a PKCS#8 PEM private key (RSA, EC or Ed25519). */
final class PemTls {
  static final char[] PASSWORD = "pgopt".toCharArray();
  private static final Pattern PKCS8 = Pattern.compile("-----BEGIN PRIVATE KEY-----(.+?)-----END PRIVATE KEY-----", Pattern.DOTALL);

  private PemTls() {}

  static KeyStore keyStore(Path certificate, Path privateKey) throws ConfigException {
    Collection<? extends Certificate> chain;
    try (InputStream in = Files.newInputStream(certificate)) {
      chain = CertificateFactory.getInstance("X.509").generateCertificates(in);
    } catch (IOException | GeneralSecurityException e) {
      throw new ConfigException(certificate + ": not a readable PEM certificate (" + e.getClass().getSimpleName() + ")");
    }
    if (chain.isEmpty()) {
      throw new ConfigException(certificate + ": no certificate in the file");
    }
    String pem;
    try {
      pem = Files.readString(privateKey);
    } catch (IOException e) {
      throw new ConfigException(privateKey + ": cannot read the private key (" + e.getClass().getSimpleName() + ")");
    }
    Matcher m = PKCS8.matcher(pem);
    if (!m.find()) {
      throw new ConfigException(privateKey + ": expected an unencrypted PKCS#8 key (BEGIN PRIVATE KEY); convert with: "
          + "openssl pkcs8 -topk8 -nocrypt -in old.pem -out key.pem");
    }
    byte[] der = Base64.getMimeDecoder().decode(m.group(1));
    PrivateKey key = null;
    for (String alg : new String[] {"RSA", "EC", "Ed25519"}) {
      try {
        key = KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
        break;
      } catch (GeneralSecurityException ignored) {
        // try the next algorithm
      }
    }
    if (key == null) {
      throw new ConfigException(privateKey + ": the key is not RSA, EC or Ed25519");
    }
    try {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setKeyEntry("pgopt", key, PASSWORD, chain.toArray(new Certificate[0]));
      return ks;
    } catch (IOException | GeneralSecurityException e) {
      throw new ConfigException(certificate + " and " + privateKey + " do not form a key pair (" + e.getMessage() + ")");
    }
  }
}
