package dev.pgopt.bench.tpch;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;

/**
 * The 22 TPC-H queries in PostgreSQL's dialect, with substitution parameters drawn as the specification's qgen draws
 * them (TPC-H 3.0.1, section 2.4), from a seed. Each text carries a marker comment ({@code /* tpch q7 *}{@code /}) that
 * pg_stat_statements keeps, so the evaluation can tell its entries apart. Q15's view is a CTE.
 */
public final class TpchQueries {
  static final String[] NATIONS = {"ALGERIA", "ARGENTINA", "BRAZIL", "CANADA", "EGYPT", "ETHIOPIA", "FRANCE", "GERMANY",
      "INDIA", "INDONESIA", "IRAN", "IRAQ", "JAPAN", "JORDAN", "KENYA", "MOROCCO", "MOZAMBIQUE", "PERU", "CHINA", "ROMANIA",
      "SAUDI ARABIA", "VIETNAM", "RUSSIA", "UNITED KINGDOM", "UNITED STATES"};
  static final int[] NATION_REGION = {0, 1, 1, 1, 4, 0, 3, 3, 2, 2, 4, 4, 2, 4, 0, 0, 0, 1, 2, 3, 4, 2, 3, 3, 1};
  static final String[] REGIONS = {"AFRICA", "AMERICA", "ASIA", "EUROPE", "MIDDLE EAST"};
  static final String[] SEGMENTS = {"AUTOMOBILE", "BUILDING", "FURNITURE", "MACHINERY", "HOUSEHOLD"};
  static final String[] TYPE1 = {"STANDARD", "SMALL", "MEDIUM", "LARGE", "ECONOMY", "PROMO"};
  static final String[] TYPE2 = {"ANODIZED", "BURNISHED", "PLATED", "POLISHED", "BRUSHED"};
  static final String[] TYPE3 = {"TIN", "NICKEL", "BRASS", "STEEL", "COPPER"};
  static final String[] CONTAINER1 = {"SM", "LG", "MED", "JUMBO", "WRAP"};
  static final String[] CONTAINER2 = {"CASE", "BOX", "BAG", "JAR", "PKG", "PACK", "CAN", "DRUM"};
  static final String[] SHIPMODES = {"REG AIR", "AIR", "RAIL", "SHIP", "TRUCK", "MAIL", "FOB"};
  static final String[] WORD1 = {"special", "pending", "unusual", "express"};
  static final String[] WORD2 = {"packages", "requests", "accounts", "deposits"};
  static final String[] COLORS = {"almond", "antique", "aquamarine", "azure", "beige", "bisque", "black", "blanched", "blue",
      "blush", "brown", "burlywood", "burnished", "chartreuse", "chiffon", "chocolate", "coral", "cornflower", "cornsilk",
      "cream", "cyan", "dark", "deep", "dim", "dodger", "drab", "firebrick", "floral", "forest", "frosted", "gainsboro",
      "ghost", "goldenrod", "green", "grey", "honeydew", "hot", "indian", "ivory", "khaki", "lace", "lavender", "lawn",
      "lemon", "light", "lime", "linen", "magenta", "maroon", "medium", "metallic", "midnight", "mint", "misty", "moccasin",
      "navajo", "navy", "olive", "orange", "orchid", "pale", "papaya", "peach", "peru", "pink", "plum", "powder", "puff",
      "purple", "red", "rose", "rosy", "royal", "saddle", "salmon", "sandy", "seashell", "sienna", "sky", "slate", "smoke",
      "snow", "spring", "steel", "tan", "thistle", "tomato", "turquoise", "violet", "wheat", "white", "yellow"};

  private TpchQueries() {}

  /** Query {@code number} (1..22) with parameters from {@code seed}, at scale factor {@code sf}. */
  public static String query(int number, long seed, double sf) {
    Random r = new Random(seed * 1000 + number);
    String text = switch (number) {
      case 1 -> """
          select l_returnflag, l_linestatus, sum(l_quantity) as sum_qty, sum(l_extendedprice) as sum_base_price,
            sum(l_extendedprice * (1 - l_discount)) as sum_disc_price, sum(l_extendedprice * (1 - l_discount) * (1 + l_tax)) as sum_charge,
            avg(l_quantity) as avg_qty, avg(l_extendedprice) as avg_price, avg(l_discount) as avg_disc, count(*) as count_order
          from lineitem where l_shipdate <= date '1998-12-01' - interval '%d' day
          group by l_returnflag, l_linestatus order by l_returnflag, l_linestatus""".formatted(between(r, 60, 120));
      case 2 -> {
        String region = pick(r, REGIONS);
        yield """
            select s_acctbal, s_name, n_name, p_partkey, p_mfgr, s_address, s_phone, s_comment
            from part, supplier, partsupp, nation, region
            where p_partkey = ps_partkey and s_suppkey = ps_suppkey and p_size = %d and p_type like '%%%s'
              and s_nationkey = n_nationkey and n_regionkey = r_regionkey and r_name = '%s'
              and ps_supplycost = (select min(ps_supplycost) from partsupp, supplier, nation, region
                where p_partkey = ps_partkey and s_suppkey = ps_suppkey and s_nationkey = n_nationkey
                  and n_regionkey = r_regionkey and r_name = '%s')
            order by s_acctbal desc, n_name, s_name, p_partkey limit 100""".formatted(between(r, 1, 50), pick(r, TYPE3), region, region);
      }
      case 3 -> {
        String date = LocalDate.of(1995, 3, 1).plusDays(r.nextInt(31)).toString();
        yield """
            select l_orderkey, sum(l_extendedprice * (1 - l_discount)) as revenue, o_orderdate, o_shippriority
            from customer, orders, lineitem
            where c_mktsegment = '%s' and c_custkey = o_custkey and l_orderkey = o_orderkey
              and o_orderdate < date '%s' and l_shipdate > date '%s'
            group by l_orderkey, o_orderdate, o_shippriority order by revenue desc, o_orderdate limit 10"""
            .formatted(pick(r, SEGMENTS), date, date);
      }
      case 4 -> {
        String date = LocalDate.of(1993, 1, 1).plusMonths(r.nextInt(58)).toString();
        yield """
            select o_orderpriority, count(*) as order_count from orders
            where o_orderdate >= date '%s' and o_orderdate < date '%s' + interval '3' month
              and exists (select * from lineitem where l_orderkey = o_orderkey and l_commitdate < l_receiptdate)
            group by o_orderpriority order by o_orderpriority""".formatted(date, date);
      }
      case 5 -> {
        String date = year(r);
        yield """
            select n_name, sum(l_extendedprice * (1 - l_discount)) as revenue
            from customer, orders, lineitem, supplier, nation, region
            where c_custkey = o_custkey and l_orderkey = o_orderkey and l_suppkey = s_suppkey and c_nationkey = s_nationkey
              and s_nationkey = n_nationkey and n_regionkey = r_regionkey and r_name = '%s'
              and o_orderdate >= date '%s' and o_orderdate < date '%s' + interval '1' year
            group by n_name order by revenue desc""".formatted(pick(r, REGIONS), date, date);
      }
      case 6 -> {
        String date = year(r);
        String discount = "0.0" + between(r, 2, 9);
        yield """
            select sum(l_extendedprice * l_discount) as revenue from lineitem
            where l_shipdate >= date '%s' and l_shipdate < date '%s' + interval '1' year
              and l_discount between %s - 0.01 and %s + 0.01 and l_quantity < %d"""
            .formatted(date, date, discount, discount, between(r, 24, 25));
      }
      case 7 -> {
        List<String> two = distinct(r, NATIONS, 2);
        yield """
            select supp_nation, cust_nation, l_year, sum(volume) as revenue from (
              select n1.n_name as supp_nation, n2.n_name as cust_nation, extract(year from l_shipdate) as l_year,
                l_extendedprice * (1 - l_discount) as volume
              from supplier, lineitem, orders, customer, nation n1, nation n2
              where s_suppkey = l_suppkey and o_orderkey = l_orderkey and c_custkey = o_custkey
                and s_nationkey = n1.n_nationkey and c_nationkey = n2.n_nationkey
                and ((n1.n_name = '%s' and n2.n_name = '%s') or (n1.n_name = '%s' and n2.n_name = '%s'))
                and l_shipdate between date '1995-01-01' and date '1996-12-31') as shipping
            group by supp_nation, cust_nation, l_year order by supp_nation, cust_nation, l_year"""
            .formatted(two.get(0), two.get(1), two.get(1), two.get(0));
      }
      case 8 -> {
        int nation = r.nextInt(NATIONS.length);
        yield """
            select o_year, sum(case when nation = '%s' then volume else 0 end) / sum(volume) as mkt_share from (
              select extract(year from o_orderdate) as o_year, l_extendedprice * (1 - l_discount) as volume, n2.n_name as nation
              from part, supplier, lineitem, orders, customer, nation n1, nation n2, region
              where p_partkey = l_partkey and s_suppkey = l_suppkey and l_orderkey = o_orderkey and o_custkey = c_custkey
                and c_nationkey = n1.n_nationkey and n1.n_regionkey = r_regionkey and r_name = '%s'
                and s_nationkey = n2.n_nationkey and o_orderdate between date '1995-01-01' and date '1996-12-31'
                and p_type = '%s') as all_nations
            group by o_year order by o_year""".formatted(NATIONS[nation], REGIONS[NATION_REGION[nation]],
            pick(r, TYPE1) + " " + pick(r, TYPE2) + " " + pick(r, TYPE3));
      }
      case 9 -> """
          select nation, o_year, sum(amount) as sum_profit from (
            select n_name as nation, extract(year from o_orderdate) as o_year,
              l_extendedprice * (1 - l_discount) - ps_supplycost * l_quantity as amount
            from part, supplier, lineitem, partsupp, orders, nation
            where s_suppkey = l_suppkey and ps_suppkey = l_suppkey and ps_partkey = l_partkey and p_partkey = l_partkey
              and o_orderkey = l_orderkey and s_nationkey = n_nationkey and p_name like '%%%s%%') as profit
          group by nation, o_year order by nation, o_year desc""".formatted(pick(r, COLORS));
      case 10 -> {
        String date = LocalDate.of(1993, 2, 1).plusMonths(r.nextInt(24)).toString();
        yield """
            select c_custkey, c_name, sum(l_extendedprice * (1 - l_discount)) as revenue, c_acctbal, n_name, c_address,
              c_phone, c_comment
            from customer, orders, lineitem, nation
            where c_custkey = o_custkey and l_orderkey = o_orderkey and o_orderdate >= date '%s'
              and o_orderdate < date '%s' + interval '3' month and l_returnflag = 'R' and c_nationkey = n_nationkey
            group by c_custkey, c_name, c_acctbal, c_phone, n_name, c_address, c_comment order by revenue desc limit 20"""
            .formatted(date, date);
      }
      case 11 -> {
        String nation = pick(r, NATIONS);
        yield """
            select ps_partkey, sum(ps_supplycost * ps_availqty) as value from partsupp, supplier, nation
            where ps_suppkey = s_suppkey and s_nationkey = n_nationkey and n_name = '%s'
            group by ps_partkey having sum(ps_supplycost * ps_availqty) > (
              select sum(ps_supplycost * ps_availqty) * %s from partsupp, supplier, nation
              where ps_suppkey = s_suppkey and s_nationkey = n_nationkey and n_name = '%s')
            order by value desc""".formatted(nation, String.format(java.util.Locale.ROOT, "%.10f", 0.0001 / sf), nation);
      }
      case 12 -> {
        List<String> modes = distinct(r, SHIPMODES, 2);
        String date = year(r);
        yield """
            select l_shipmode,
              sum(case when o_orderpriority = '1-URGENT' or o_orderpriority = '2-HIGH' then 1 else 0 end) as high_line_count,
              sum(case when o_orderpriority <> '1-URGENT' and o_orderpriority <> '2-HIGH' then 1 else 0 end) as low_line_count
            from orders, lineitem
            where o_orderkey = l_orderkey and l_shipmode in ('%s', '%s') and l_commitdate < l_receiptdate
              and l_shipdate < l_commitdate and l_receiptdate >= date '%s' and l_receiptdate < date '%s' + interval '1' year
            group by l_shipmode order by l_shipmode""".formatted(modes.get(0), modes.get(1), date, date);
      }
      case 13 -> """
          select c_count, count(*) as custdist from (
            select c_custkey, count(o_orderkey) from customer left outer join orders
              on c_custkey = o_custkey and o_comment not like '%%%s%%%s%%' group by c_custkey) as c_orders (c_custkey, c_count)
          group by c_count order by custdist desc, c_count desc""".formatted(pick(r, WORD1), pick(r, WORD2));
      case 14 -> {
        String date = LocalDate.of(1993, 1, 1).plusMonths(r.nextInt(60)).toString();
        yield """
            select 100.00 * sum(case when p_type like 'PROMO%%' then l_extendedprice * (1 - l_discount) else 0 end)
              / sum(l_extendedprice * (1 - l_discount)) as promo_revenue
            from lineitem, part
            where l_partkey = p_partkey and l_shipdate >= date '%s' and l_shipdate < date '%s' + interval '1' month"""
            .formatted(date, date);
      }
      case 15 -> {
        String date = LocalDate.of(1993, 1, 1).plusMonths(r.nextInt(58)).toString();
        yield """
            with revenue0 as (
              select l_suppkey as supplier_no, sum(l_extendedprice * (1 - l_discount)) as total_revenue from lineitem
              where l_shipdate >= date '%s' and l_shipdate < date '%s' + interval '3' month group by l_suppkey)
            select s_suppkey, s_name, s_address, s_phone, total_revenue from supplier, revenue0
            where s_suppkey = supplier_no and total_revenue = (select max(total_revenue) from revenue0)
            order by s_suppkey""".formatted(date, date);
      }
      case 16 -> {
        List<Integer> sizes = new ArrayList<>();
        while (sizes.size() < 8) {
          int s = between(r, 1, 50);
          if (!sizes.contains(s)) {
            sizes.add(s);
          }
        }
        yield """
            select p_brand, p_type, p_size, count(distinct ps_suppkey) as supplier_cnt from partsupp, part
            where p_partkey = ps_partkey and p_brand <> '%s' and p_type not like '%s%%'
              and p_size in (%s)
              and ps_suppkey not in (select s_suppkey from supplier where s_comment like '%%Customer%%Complaints%%')
            group by p_brand, p_type, p_size order by supplier_cnt desc, p_brand, p_type, p_size"""
            .formatted(brand(r), pick(r, TYPE1) + " " + pick(r, TYPE2),
                sizes.stream().map(String::valueOf).collect(Collectors.joining(", ")));
      }
      case 17 -> """
          select sum(l_extendedprice) / 7.0 as avg_yearly from lineitem, part
          where p_partkey = l_partkey and p_brand = '%s' and p_container = '%s'
            and l_quantity < (select 0.2 * avg(l_quantity) from lineitem where l_partkey = p_partkey)"""
          .formatted(brand(r), pick(r, CONTAINER1) + " " + pick(r, CONTAINER2));
      case 18 -> """
          select c_name, c_custkey, o_orderkey, o_orderdate, o_totalprice, sum(l_quantity)
          from customer, orders, lineitem
          where o_orderkey in (select l_orderkey from lineitem group by l_orderkey having sum(l_quantity) > %d)
            and c_custkey = o_custkey and o_orderkey = l_orderkey
          group by c_name, c_custkey, o_orderkey, o_orderdate, o_totalprice order by o_totalprice desc, o_orderdate limit 100"""
          .formatted(between(r, 312, 315));
      case 19 -> {
        int q1 = between(r, 1, 10);
        int q2 = between(r, 10, 20);
        int q3 = between(r, 20, 30);
        yield """
            select sum(l_extendedprice * (1 - l_discount)) as revenue from lineitem, part
            where (p_partkey = l_partkey and p_brand = '%s' and p_container in ('SM CASE', 'SM BOX', 'SM PACK', 'SM PKG')
                and l_quantity >= %d and l_quantity <= %d + 10 and p_size between 1 and 5
                and l_shipmode in ('AIR', 'AIR REG') and l_shipinstruct = 'DELIVER IN PERSON')
              or (p_partkey = l_partkey and p_brand = '%s' and p_container in ('MED BAG', 'MED BOX', 'MED PKG', 'MED PACK')
                and l_quantity >= %d and l_quantity <= %d + 10 and p_size between 1 and 10
                and l_shipmode in ('AIR', 'AIR REG') and l_shipinstruct = 'DELIVER IN PERSON')
              or (p_partkey = l_partkey and p_brand = '%s' and p_container in ('LG CASE', 'LG BOX', 'LG PACK', 'LG PKG')
                and l_quantity >= %d and l_quantity <= %d + 10 and p_size between 1 and 15
                and l_shipmode in ('AIR', 'AIR REG') and l_shipinstruct = 'DELIVER IN PERSON')"""
            .formatted(brand(r), q1, q1, brand(r), q2, q2, brand(r), q3, q3);
      }
      case 20 -> {
        String date = year(r);
        yield """
            select s_name, s_address from supplier, nation
            where s_suppkey in (select ps_suppkey from partsupp
                where ps_partkey in (select p_partkey from part where p_name like '%s%%')
                  and ps_availqty > (select 0.5 * sum(l_quantity) from lineitem
                    where l_partkey = ps_partkey and l_suppkey = ps_suppkey
                      and l_shipdate >= date '%s' and l_shipdate < date '%s' + interval '1' year))
              and s_nationkey = n_nationkey and n_name = '%s'
            order by s_name""".formatted(pick(r, COLORS), date, date, pick(r, NATIONS));
      }
      case 21 -> """
          select s_name, count(*) as numwait from supplier, lineitem l1, orders, nation
          where s_suppkey = l1.l_suppkey and o_orderkey = l1.l_orderkey and o_orderstatus = 'F'
            and l1.l_receiptdate > l1.l_commitdate
            and exists (select * from lineitem l2 where l2.l_orderkey = l1.l_orderkey and l2.l_suppkey <> l1.l_suppkey)
            and not exists (select * from lineitem l3 where l3.l_orderkey = l1.l_orderkey and l3.l_suppkey <> l1.l_suppkey
              and l3.l_receiptdate > l3.l_commitdate)
            and s_nationkey = n_nationkey and n_name = '%s'
          group by s_name order by numwait desc, s_name limit 100""".formatted(pick(r, NATIONS));
      case 22 -> {
        List<Integer> codes = new ArrayList<>();
        while (codes.size() < 7) {
          int c = between(r, 10, 34);
          if (!codes.contains(c)) {
            codes.add(c);
          }
        }
        String in = codes.stream().map(c -> "'" + c + "'").collect(Collectors.joining(", "));
        yield """
            select cntrycode, count(*) as numcust, sum(c_acctbal) as totacctbal from (
              select substring(c_phone from 1 for 2) as cntrycode, c_acctbal from customer
              where substring(c_phone from 1 for 2) in (%s)
                and c_acctbal > (select avg(c_acctbal) from customer where c_acctbal > 0.00
                  and substring(c_phone from 1 for 2) in (%s))
                and not exists (select * from orders where o_custkey = c_custkey)) as custsale
            group by cntrycode order by cntrycode""".formatted(in, in);
      }
      default -> throw new IllegalArgumentException("TPC-H has queries 1 to 22, not " + number);
    };
    // the marker after the first keyword: pg_stat_statements keeps comments inside the statement
    int space = text.indexOf(' ');
    return text.substring(0, space) + " /* tpch q" + number + " */" + text.substring(space);
  }

  /**
   * Query {@code number} with constants that select nothing, so that it finishes at once where the real ones run for
   * hours without indexes (Q17, Q20: a correlated subquery over lineitem per row). pg_stat_statements records a
   * statement only when a run finishes; this one has the same normalized text. Null for the other queries.
   */
  public static String quickVariant(int number) {
    String q = query(number, 1, 1.0);
    return switch (number) {
      case 17 -> q.replaceFirst("p_brand = 'Brand#\\d\\d'", "p_brand = 'Brand#00'");
      case 20 -> q.replaceFirst("p_name like '[a-z]+%'", "p_name like 'none%'");
      default -> null;
    };
  }

  /** The query number a pg_stat_statements text carries, or 0. */
  public static int marker(String text) {
    int at = text.indexOf("/* tpch q");
    if (at < 0) {
      return 0;
    }
    int end = text.indexOf(" */", at);
    return end < 0 ? 0 : Integer.parseInt(text.substring(at + 9, end));
  }

  private static int between(Random r, int low, int high) {
    return low + r.nextInt(high - low + 1);
  }

  private static String pick(Random r, String[] values) {
    return values[r.nextInt(values.length)];
  }

  private static List<String> distinct(Random r, String[] values, int n) {
    List<String> all = new ArrayList<>(List.of(values));
    Collections.shuffle(all, r);
    return all.subList(0, n);
  }

  private static String year(Random r) {
    return LocalDate.of(between(r, 1993, 1997), 1, 1).toString();
  }

  private static String brand(Random r) {
    return "Brand#" + between(r, 1, 5) + between(r, 1, 5);
  }
}
