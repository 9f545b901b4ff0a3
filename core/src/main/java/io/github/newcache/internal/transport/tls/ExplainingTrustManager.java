package io.github.newcache.internal.transport.tls;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The JVM's trust manager with errors that say what is wrong. The JDK reports a certificate from
 * the wrong CA as "PKIX path building failed" and a wrong host name as "No subject alternative
 * names matching ...", without the certificate; this one says which it is, shows the certificate's
 * subject, issuer and names, and where the trust came from.
 *
 * <p>It decides nothing itself: every check is the delegate's (path validation and, when the
 * socket or engine asks for it, endpoint identification). Only after the delegate refused does it
 * check the path alone, to tell a trust failure from a host name failure.
 */
final class ExplainingTrustManager extends X509ExtendedTrustManager {

  private final X509ExtendedTrustManager delegate;
  private final String trustSource;

  ExplainingTrustManager(X509ExtendedTrustManager delegate, String trustSource) {
    this.delegate = delegate;
    this.trustSource = trustSource;
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    try {
      delegate.checkServerTrusted(chain, authType, socket);
    } catch (CertificateException e) {
      SSLSession s = socket instanceof SSLSocket ssl ? ssl.getHandshakeSession() : null;
      throw explain(chain, authType, e, s == null ? null : s.getPeerHost());
    }
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    try {
      delegate.checkServerTrusted(chain, authType, engine);
    } catch (CertificateException e) {
      throw explain(chain, authType, e, engine.getPeerHost());
    }
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    try {
      delegate.checkServerTrusted(chain, authType);
    } catch (CertificateException e) {
      throw explain(chain, authType, e, null);
    }
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    delegate.checkClientTrusted(chain, authType, socket);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    delegate.checkClientTrusted(chain, authType, engine);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    delegate.checkClientTrusted(chain, authType);
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return delegate.getAcceptedIssuers();
  }

  private CertificateException explain(
      X509Certificate[] chain, String authType, CertificateException refusal, String peerHost) {
    X509Certificate leaf = chain == null || chain.length == 0 ? null : chain[0];
    String what = leaf == null
        ? "the server sent no certificate"
        : "certificate " + leaf.getSubjectX500Principal().getName()
            + " issued by " + leaf.getIssuerX500Principal().getName()
            + ", names " + names(leaf);
    boolean pathTrusted;
    try {
      delegate.checkServerTrusted(chain, authType);
      pathTrusted = true;
    } catch (CertificateException e) {
      pathTrusted = false;
    }
    String message;
    if (!pathTrusted) {
      message = "the server's certificate is not trusted by " + trustSource + " (" + what
          + "): " + refusal.getMessage()
          + "; give tlsTrustStore the CA that issued the server's certificate";
    } else {
      message = "the server's certificate does not name '" + TlsContext.asWritten(peerHost) + "' (" + what
          + "): " + refusal.getMessage()
          + "; list the server by a name its certificate carries, set tlsHostname to that name, "
          + "or reissue the certificate with this name as a subject alternative name";
    }
    return new ExplainedCertificateException(message, refusal, !pathTrusted);
  }

  private static String names(X509Certificate cert) {
    List<String> names = new ArrayList<>();
    try {
      Collection<List<?>> sans = cert.getSubjectAlternativeNames();
      if (sans != null) {
        for (List<?> san : sans) {
          Object type = san.get(0);
          if (Integer.valueOf(2).equals(type)) {
            names.add("DNS:" + san.get(1));
          } else if (Integer.valueOf(7).equals(type)) {
            names.add("IP:" + san.get(1));
          }
        }
      }
    } catch (CertificateParsingException e) {
      names.add("(unreadable subject alternative names)");
    }
    return names.isEmpty() ? "no subject alternative names" : String.join(", ", names);
  }

  /** A refusal this class explained; {@link #untrusted()} tells a CA problem from a name problem. */
  static final class ExplainedCertificateException extends CertificateException {
    private final boolean untrusted;

    ExplainedCertificateException(String message, Throwable cause, boolean untrusted) {
      super(message, cause);
      this.untrusted = untrusted;
    }

    boolean untrusted() {
      return untrusted;
    }
  }
}
