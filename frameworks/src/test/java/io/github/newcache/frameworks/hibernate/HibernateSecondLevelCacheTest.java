package io.github.newcache.frameworks.hibernate;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.newcache.NewcacheCacheManager;
import io.github.newcache.frameworks.support.NewcacheFiles;
import io.github.newcache.testkit.LocalMemcached;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.concurrent.TimeUnit;
import javax.cache.CacheManager;
import javax.cache.configuration.CompleteConfiguration;
import javax.cache.expiry.Duration;
import org.hibernate.SessionFactory;
import org.hibernate.cache.jcache.internal.JCacheRegionFactory;
import org.hibernate.cache.spi.RegionFactory;
import org.hibernate.cfg.Configuration;
import org.hibernate.engine.spi.SessionFactoryImplementor;
import org.hibernate.resource.jdbc.spi.StatementInspector;
import org.hibernate.stat.Statistics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hibernate ORM 7's second-level cache (hibernate-jcache) on Newcache and a real memcached, with
 * H2 in memory. The common settings come from {@code hibernate.properties} on the class path, as a
 * user would write them; each "node" adds the JDBC URL and {@code hibernate.javax.cache.uri}.
 *
 * <p>Two SessionFactories stand for two application nodes: they share the database and the
 * memcached, and each has its own cache manager (a different properties file, so a different
 * manager URI and its own memcached connection). Whatever node 2 reads from the cache, node 1 put
 * there through memcached. JDBC statements are counted both by Hibernate's statistics and by a
 * StatementInspector.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HibernateSecondLevelCacheTest {

  private static final String JDBC_URL = "jdbc:h2:mem:newcache_l2;DB_CLOSE_DELAY=-1";
  private static final String NOVEL_REGION = Novel.class.getName();
  private static final String NOVELS_BY_TITLE = "from Novel n where n.title like :t order by n.id";

  /** SQL statements seen, per node. */
  private static final AtomicInteger NODE1_SQL = new AtomicInteger();
  private static final AtomicInteger NODE2_SQL = new AtomicInteger();

  public static final class Node1Inspector implements StatementInspector {
    @Override
    public String inspect(String sql) {
      NODE1_SQL.incrementAndGet();
      return sql;
    }
  }

  public static final class Node2Inspector implements StatementInspector {
    @Override
    public String inspect(String sql) {
      NODE2_SQL.incrementAndGet();
      return sql;
    }
  }

  private Path dir;

  private LocalMemcached memcached;
  private SessionFactory node1;
  private SessionFactory node2;

  @BeforeAll
  void start(@TempDir Path tempDir) {
    dir = tempDir;
    memcached = LocalMemcached.start();
    // Novel's region is declared in the file (a region name with dots); the others are created
    // by missing_cache_strategy=create.
    String[] settings = {"flavor=orm", "cache." + NOVEL_REGION + ".expiry=created",
        "cache." + NOVEL_REGION + ".expiryDuration=1h"};
    Path file1 = NewcacheFiles.write(dir, "node1.properties", memcached, settings);
    Path file2 = NewcacheFiles.write(dir, "node2.properties", memcached, settings);
    node1 = sessionFactory(file1, "create", Node1Inspector.class);
    seed();
    node2 = sessionFactory(file2, "none", Node2Inspector.class);
  }

  @AfterAll
  void stop() {
    try {
      if (node2 != null) {
        node2.close();
      }
      if (node1 != null) {
        node1.close();
      }
    } finally {
      memcached.close();
    }
  }

  private static SessionFactory sessionFactory(
      Path newcacheFile, String schema, Class<? extends StatementInspector> inspector) {
    return new Configuration()
        .addAnnotatedClass(Author.class)
        .addAnnotatedClass(Novel.class)
        .setProperty("hibernate.connection.url", JDBC_URL)
        .setProperty("hibernate.connection.username", "sa")
        .setProperty("hibernate.connection.password", "")
        .setProperty("hibernate.hbm2ddl.auto", schema)
        // file:///… is one of the forms hibernate-jcache resolves (classpath:x is not).
        .setProperty("hibernate.javax.cache.uri", "file://" + newcacheFile.toAbsolutePath())
        .setProperty("hibernate.session_factory.statement_inspector", inspector.getName())
        .buildSessionFactory();
  }

  private void seed() {
    node1.inTransaction(s -> {
      Author ada = new Author(1L, "Ada");
      s.persist(ada);
      s.persist(new Novel(11L, "Engines of Analysis", ada));
      s.persist(new Novel(12L, "Notes on Engines", ada));
      Author bob = new Author(2L, "Bob");
      s.persist(bob);
      s.persist(new Novel(21L, "Bobbing Along", bob));
    });
  }

  private static CacheManager cacheManager(SessionFactory sf) {
    RegionFactory regions =
        sf.unwrap(SessionFactoryImplementor.class).getServiceRegistry().getService(RegionFactory.class);
    assertThat(regions).isInstanceOf(JCacheRegionFactory.class);
    return ((JCacheRegionFactory) regions).getCacheManager();
  }

  /** Runs {@code work} in a fresh session and returns the statements it sent, by both counts. */
  private static int[] statements(SessionFactory sf, AtomicInteger inspected, Consumer<org.hibernate.Session> work) {
    Statistics stats = sf.getStatistics();
    stats.clear();
    int before = inspected.get();
    sf.inSession(work);
    return new int[] {(int) stats.getPrepareStatementCount(), inspected.get() - before};
  }

  /** Asserts that no SQL was sent, naming the second-level cache counts when some was. */
  private static void noSql(int[] sql, SessionFactory sf) {
    Statistics stats = sf.getStatistics();
    assertThat(sql)
        .as("JDBC statements (Hibernate statistics, StatementInspector) with L2 hits=%d misses=%d "
                + "puts=%d, query cache hits=%d misses=%d",
            stats.getSecondLevelCacheHitCount(), stats.getSecondLevelCacheMissCount(),
            stats.getSecondLevelCachePutCount(), stats.getQueryCacheHitCount(),
            stats.getQueryCacheMissCount())
        .containsExactly(0, 0);
  }

  @Test
  @Order(1)
  @SuppressWarnings("unchecked") // getConfiguration(CompleteConfiguration.class) is raw by design
  void eachNodeHasItsOwnNewcacheManagerWithTheRegionsCreated() {
    CacheManager m1 = cacheManager(node1);
    CacheManager m2 = cacheManager(node2);
    assertThat(m1).isInstanceOf(NewcacheCacheManager.class);
    assertThat(m2).isInstanceOf(NewcacheCacheManager.class).isNotSameAs(m1);
    assertThat(m1.getURI().getScheme()).isEqualTo("file");
    assertThat(m1.getCacheNames())
        .contains(Author.class.getName(), NOVEL_REGION, Author.class.getName() + ".novels",
            "default-query-results-region", "default-update-timestamps-region");
    CompleteConfiguration<?, ?> novels =
        m2.getCache(NOVEL_REGION).getConfiguration(CompleteConfiguration.class);
    assertThat(novels.getExpiryPolicyFactory().create().getExpiryForCreation())
        .isEqualTo(new Duration(TimeUnit.HOURS, 1));
  }

  @Test
  @Order(2)
  void entityCacheHitsWithoutSql() {
    int[] sql = statements(node1, NODE1_SQL, s -> {
      Author ada = s.find(Author.class, 1L);
      assertThat(ada.getName()).isEqualTo("Ada");
    });
    noSql(sql, node1);
    assertThat(node1.getStatistics().getSecondLevelCacheHitCount()).isEqualTo(1);
  }

  @Test
  @Order(3)
  void collectionCacheHitsOnTheSecondLoad() {
    // The first load of the collection goes to the database and caches the collection.
    statements(node1, NODE1_SQL, s -> assertThat(s.find(Author.class, 1L).getNovels()).hasSize(2));
    int[] sql = statements(node1, NODE1_SQL, s -> {
      List<Novel> novels = s.find(Author.class, 1L).getNovels();
      assertThat(novels).extracting(Novel::getTitle)
          .containsExactlyInAnyOrder("Engines of Analysis", "Notes on Engines");
    });
    noSql(sql, node1);
    Statistics stats = node1.getStatistics();
    assertThat(stats.getCollectionStatistics(Author.class.getName() + ".novels").getCacheHitCount())
        .isEqualTo(1);
    assertThat(stats.getSecondLevelCacheMissCount()).isZero();
  }

  @Test
  @Order(4)
  void queryCacheHitsOnTheSecondRun() {
    statements(node1, NODE1_SQL, s -> assertThat(
        s.createQuery(NOVELS_BY_TITLE, Novel.class).setParameter("t", "%Engines%").setCacheable(true).list())
        .hasSize(2));
    int[] sql = statements(node1, NODE1_SQL, s -> assertThat(
        s.createQuery(NOVELS_BY_TITLE, Novel.class).setParameter("t", "%Engines%").setCacheable(true).list())
        .extracting(Novel::getId).containsExactly(11L, 12L));
    noSql(sql, node1);
    assertThat(node1.getStatistics().getQueryCacheHitCount()).isEqualTo(1);
  }

  @Test
  @Order(5)
  void secondNodeReadsEntitiesTheFirstCachedWithoutSql() {
    int[] sql = statements(node2, NODE2_SQL, s -> {
      assertThat(s.find(Author.class, 1L).getName()).isEqualTo("Ada");
      assertThat(s.find(Novel.class, 11L).getTitle()).isEqualTo("Engines of Analysis");
    });
    noSql(sql, node2);
    Statistics stats = node2.getStatistics();
    assertThat(stats.getSecondLevelCacheHitCount()).isEqualTo(2);
    assertThat(stats.getSecondLevelCacheMissCount()).isZero();
  }

  @Test
  @Order(6)
  void secondNodeReadsTheCollectionAndQueryTheFirstCachedWithoutSql() {
    int[] sql = statements(node2, NODE2_SQL, s -> {
      assertThat(s.find(Author.class, 1L).getNovels()).hasSize(2);
      assertThat(s.createQuery(NOVELS_BY_TITLE, Novel.class).setParameter("t", "%Engines%")
          .setCacheable(true).list()).extracting(Novel::getId).containsExactly(11L, 12L);
    });
    noSql(sql, node2);
    Statistics stats = node2.getStatistics();
    assertThat(stats.getQueryCacheHitCount()).isEqualTo(1);
    assertThat(stats.getCollectionStatistics(Author.class.getName() + ".novels").getCacheHitCount())
        .isEqualTo(1);
  }

  @Test
  @Order(7)
  void anUpdateOnTheFirstNodeIsWhatTheSecondNodeReadsFromTheCache() {
    node1.inTransaction(s -> s.find(Author.class, 2L).setName("Robert"));
    int[] sql = statements(node2, NODE2_SQL,
        s -> assertThat(s.find(Author.class, 2L).getName()).isEqualTo("Robert"));
    noSql(sql, node2);
    assertThat(node2.getStatistics().getSecondLevelCacheHitCount()).isEqualTo(1);
  }
}
