package dev.deploy.channel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.ChannelException;
import dev.deploy.testing.LoopbackTables;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * A table that hostile connections are thrown at, and a friend table with a channel into it, so a
 * test can check after each attack that the table still serves its legitimate peer and delivered
 * nothing else. Owns its tables; {@link #close} tears them down. Test thread only.
 */
final class TableUnderAttack implements AutoCloseable {
  private final LoopbackTables tables = new LoopbackTables();
  private final LoopbackTables.Table target;
  private final LoopbackTables.Table friend;
  private final SendEnd friendOut;
  private final ReceiveEnd targetIn;

  /** Peers the target knew after the friend connected. */
  private final int knownPeers;

  /** The next value the friend sends; each check sends one. */
  private int next;

  TableUnderAttack() throws Exception {
    target = tables.add();
    friend = tables.add();
    friendOut = friend.table().openSender(target.pid());
    targetIn = target.table().openReceiver(friend.pid());
    assertStillServesFriend();
    knownPeers = TableProbe.peerCount(target.table());
  }

  LoopbackTables.Table target() {
    return target;
  }

  InetSocketAddress address() {
    return target.address();
  }

  dev.deploy.Pid pid() {
    return target.pid();
  }

  dev.deploy.security.Credential key() {
    return tables.key();
  }

  LoopbackTables tables() {
    return tables;
  }

  /**
   * Asserts that a value from the friend still arrives, and is the only thing in the target's
   * receiver: nothing an attacker sent got in.
   */
  void assertStillServesFriend() throws ChannelException, InterruptedException {
    int value = next++;
    friendOut.send(value);
    Object got = targetIn.recv(System.nanoTime() + TimeUnit.SECONDS.toNanos(10));
    assertThat(got).as("the friend's value %d", value).isEqualTo(value);
    assertThat(targetIn.recv(0)).as("nothing after the friend's value").isSameAs(ReceiveEnd.NONE);
  }

  /** Asserts that the target learned no new remote pid from the attacks. */
  void assertLearnedNoPeer() {
    assertThat(TableProbe.peerCount(target.table()))
        .as("peers the target knows")
        .isEqualTo(knownPeers);
  }

  @Override
  public void close() {
    tables.close();
  }
}
