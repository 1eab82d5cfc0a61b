#include "chat/abuse/address_limits.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/barrier.h"
#include "absl/time/time.h"
#include "chat/abuse/address_key.h"
#include "chat/testing/fake_clock.h"
#include "gtest/gtest.h"

namespace chat {
namespace {

using Ticket = AddressLimits::Ticket;

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

// Options with only the limits a test names turned on.
AddressLimitsOptions Only(void (*set)(AddressLimitsOptions&)) {
  AddressLimitsOptions options = AddressLimitsOptions::Disabled();
  set(options);
  return options;
}

Ticket Admit(AddressLimits& limits, std::string_view key) {
  AddressLimits::Admission admission = limits.AdmitConnection(key);
  EXPECT_TRUE(admission.admitted()) << key << ": refused, "
                                    << AdmissionRefusalName(admission.refusal);
  return std::move(admission.ticket);
}

Ticket AdmitAndLogIn(AddressLimits& limits, std::string_view key) {
  Ticket ticket = Admit(limits, key);
  EXPECT_TRUE(ticket.TryLogin()) << key;
  return ticket;
}

class AddressLimitsTest : public ::testing::Test {
 protected:
  testing::FakeClock clock_{kT0};
};

TEST_F(AddressLimitsTest, PendingConnectionsAreCappedPerAddress) {
  AddressLimits limits(Only([](AddressLimitsOptions& o) { o.max_pending_per_address = 3; }),
                       clock_);
  std::vector<Ticket> silent;
  for (int i = 0; i < 3; ++i) silent.push_back(Admit(limits, "198.51.100.1"));
  AddressLimits::Admission fourth = limits.AdmitConnection("198.51.100.1");
  EXPECT_FALSE(fourth.admitted());
  EXPECT_EQ(fourth.refusal, AdmissionRefusal::kTooManyPending);
  EXPECT_TRUE(fourth.ticket.key().empty());
  // Other addresses are not affected.
  Ticket other = Admit(limits, "198.51.100.2");

  // Logging in stops counting as pending...
  ASSERT_TRUE(silent[0].TryLogin());
  EXPECT_TRUE(silent[0].logged_in());
  Ticket fourth_again = Admit(limits, "198.51.100.1");
  EXPECT_FALSE(limits.AdmitConnection("198.51.100.1").admitted());
  // ...and so does closing.
  silent.pop_back();
  Ticket fifth = Admit(limits, "198.51.100.1");
  EXPECT_EQ(limits.live_tickets(), 5);
}

TEST_F(AddressLimitsTest, ZeroPendingLimitIsOff) {
  AddressLimits limits(Only([](AddressLimitsOptions& o) { o.logins_per_minute = 1; }), clock_);
  std::vector<Ticket> silent;
  for (int i = 0; i < 100; ++i) silent.push_back(Admit(limits, "198.51.100.1"));
}

TEST_F(AddressLimitsTest, ConnectionsAreCappedPerAddressWhenAsked) {
  AddressLimits limits(
      Only([](AddressLimitsOptions& o) { o.max_connections_per_address = 2; }), clock_);
  Ticket a = AdmitAndLogIn(limits, "198.51.100.1");
  Ticket b = AdmitAndLogIn(limits, "198.51.100.1");
  AddressLimits::Admission third = limits.AdmitConnection("198.51.100.1");
  EXPECT_EQ(third.refusal, AdmissionRefusal::kTooManyConnections);
  Ticket other = Admit(limits, "198.51.100.2");
  a = Ticket();  // closing one frees its place
  Ticket c = Admit(limits, "198.51.100.1");
}

TEST_F(AddressLimitsTest, DefaultsLetOneAddressHoldAllTenSlotsOnceLoggedIn) {
  AddressLimits limits(AddressLimitsOptions(), clock_);
  std::vector<Ticket> friends;
  for (int i = 0; i < 50; ++i) friends.push_back(AdmitAndLogIn(limits, "203.0.113.9"));
}

// Each TLS connection costs a signature before it can be refused for anything else, so
// the handshake bucket is taken at admission, and only by connections that handshake.
TEST_F(AddressLimitsTest, HandshakesAreABucketTakenAtAdmission) {
  AddressLimits limits(Only([](AddressLimitsOptions& o) { o.handshakes_per_minute = 6; }),
                       clock_);
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(limits.AdmitConnection("198.51.100.1", /*handshake=*/true).admitted()) << i;
  }
  AddressLimits::Admission seventh = limits.AdmitConnection("198.51.100.1", /*handshake=*/true);
  EXPECT_EQ(seventh.refusal, AdmissionRefusal::kTooManyHandshakes);
  EXPECT_EQ(seventh.retry_after, absl::Seconds(10));  // 6 a minute
  EXPECT_EQ(AdmissionRefusalName(seventh.refusal), "handshakes");
  // Plain connections from the same address, and TLS from another, are not affected.
  EXPECT_TRUE(limits.AdmitConnection("198.51.100.1").admitted());
  EXPECT_TRUE(limits.AdmitConnection("198.51.100.2", /*handshake=*/true).admitted());
  // Reconnecting does not refill it; time does.
  clock_.Advance(absl::Seconds(9));
  EXPECT_FALSE(limits.AdmitConnection("198.51.100.1", /*handshake=*/true).admitted());
  clock_.Advance(absl::Seconds(1));
  EXPECT_TRUE(limits.AdmitConnection("198.51.100.1", /*handshake=*/true).admitted());
}

TEST_F(AddressLimitsTest, AConnectionRefusedForAnotherReasonTakesNoHandshake) {
  AddressLimits limits(Only([](AddressLimitsOptions& o) {
                         o.handshakes_per_minute = 1;
                         o.max_pending_per_address = 1;
                       }),
                       clock_);
  AddressLimits::Admission first = limits.AdmitConnection("198.51.100.1", /*handshake=*/true);
  ASSERT_TRUE(first.admitted());
  EXPECT_EQ(limits.AdmitConnection("198.51.100.1", true).refusal,
            AdmissionRefusal::kTooManyPending);
  first.ticket = Ticket();
  clock_.Advance(absl::Minutes(1));  // one token back; the refusal above took none
  EXPECT_TRUE(limits.AdmitConnection("198.51.100.1", true).admitted());
}

TEST_F(AddressLimitsTest, LoginsAreABucketWithAnExactRetryTime) {
  AddressLimits limits(Only([](AddressLimitsOptions& o) {
                         o.logins_per_minute = 30;
                         o.login_burst = 60;
                       }),
                       clock_);
  for (int i = 0; i < 60; ++i) AdmitAndLogIn(limits, "198.51.100.1");
  Ticket ticket = Admit(limits, "198.51.100.1");
  LimitVerdict verdict = ticket.TryLogin();
  EXPECT_FALSE(verdict);
  EXPECT_EQ(verdict.retry_after, absl::Seconds(2));  // 30 a minute
  EXPECT_FALSE(ticket.logged_in());
  // Other addresses log in.
  AdmitAndLogIn(limits, "198.51.100.2");

  clock_.Advance(absl::Milliseconds(1500));
  EXPECT_EQ(ticket.TryLogin().retry_after, absl::Milliseconds(500));
  clock_.Advance(absl::Milliseconds(500));
  EXPECT_TRUE(ticket.TryLogin());
  EXPECT_TRUE(ticket.logged_in());
  EXPECT_TRUE(ticket.TryLogin());  // already logged in: takes nothing
  EXPECT_FALSE(Admit(limits, "198.51.100.1").TryLogin());
}

TEST_F(AddressLimitsTest, ZeroLoginRateIsOff) {
  AddressLimits limits(Only([](AddressLimitsOptions& o) { o.max_pending_per_address = 3; }),
                       clock_);
  for (int i = 0; i < 1000; ++i) AdmitAndLogIn(limits, "198.51.100.1");
}

TEST_F(AddressLimitsTest, ReconnectingDoesNotRefillTheLoginBucket) {
  AddressLimits limits(Only([](AddressLimitsOptions& o) {
                         o.logins_per_minute = 6;
                         o.login_burst = 2;
                       }),
                       clock_);
  AdmitAndLogIn(limits, "198.51.100.1");  // closes at once
  AdmitAndLogIn(limits, "198.51.100.1");
  EXPECT_EQ(limits.live_tickets(), 0);
  EXPECT_EQ(limits.tracked_addresses(), 1u);  // remembered while refilling
  EXPECT_EQ(Admit(limits, "198.51.100.1").TryLogin().retry_after, absl::Seconds(10));
  clock_.Advance(absl::Seconds(10));
  EXPECT_TRUE(Admit(limits, "198.51.100.1").TryLogin());
}

TEST_F(AddressLimitsTest, LinesAreSharedByEveryConnectionOfAnAddress) {
  AddressLimits limits(Only([](AddressLimitsOptions& o) {
                         o.lines_per_second = 40;
                         o.line_burst = 100;
                       }),
                       clock_);
  Ticket a = AdmitAndLogIn(limits, "198.51.100.1");
  Ticket b = AdmitAndLogIn(limits, "198.51.100.1");
  Ticket other = AdmitAndLogIn(limits, "198.51.100.2");
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(a.AllowLine(10)) << i;
    ASSERT_TRUE(b.AllowLine(10)) << i;
  }
  LimitVerdict verdict = a.AllowLine(10);
  EXPECT_FALSE(verdict);
  EXPECT_EQ(verdict.retry_after, absl::Milliseconds(25));  // 40 a second
  EXPECT_FALSE(b.AllowLine(10));
  EXPECT_TRUE(other.AllowLine(10));
  clock_.Advance(absl::Milliseconds(25));
  EXPECT_TRUE(b.AllowLine(10));
  EXPECT_FALSE(a.AllowLine(10));
}

TEST_F(AddressLimitsTest, BytesAreABucketToo) {
  AddressLimits limits(Only([](AddressLimitsOptions& o) {
                         o.bytes_per_second = 32 * 1024;
                         o.byte_burst = 128 * 1024;
                       }),
                       clock_);
  Ticket a = AdmitAndLogIn(limits, "198.51.100.1");
  for (int i = 0; i < 32; ++i) ASSERT_TRUE(a.AllowLine(4096)) << i;
  LimitVerdict verdict = a.AllowLine(4096);
  EXPECT_FALSE(verdict);
  EXPECT_EQ(verdict.retry_after, absl::Milliseconds(125));  // 4096 B at 32 KiB/s
  EXPECT_FALSE(a.AllowLine(1));
  EXPECT_TRUE(a.AllowLine(0));  // the line bucket is off, and an empty line costs no bytes
}

TEST_F(AddressLimitsTest, ALineTakesFromBothBucketsOrFromNeither) {
  AddressLimits limits(Only([](AddressLimitsOptions& o) {
                         o.lines_per_second = 1;
                         o.line_burst = 3;
                         o.bytes_per_second = 1;
                         o.byte_burst = 100;
                       }),
                       clock_);
  Ticket t = AdmitAndLogIn(limits, "198.51.100.1");
  EXPECT_TRUE(t.AllowLine(60));   // 2 lines, 40 bytes left
  EXPECT_FALSE(t.AllowLine(60));  // bytes short: must not take a line
  EXPECT_TRUE(t.AllowLine(40));   // 1 line, 0 bytes
  EXPECT_TRUE(t.AllowLine(0));    // 0 lines
  LimitVerdict verdict = t.AllowLine(0);
  EXPECT_FALSE(verdict);
  EXPECT_EQ(verdict.retry_after, absl::Seconds(1));
  // Lines short: must not take bytes. In 1 s one line and one byte come back.
  clock_.Advance(absl::Seconds(1));
  EXPECT_FALSE(t.AllowLine(2));  // the longer wait of the two is reported
  EXPECT_EQ(t.AllowLine(2).retry_after, absl::Seconds(1));
  EXPECT_TRUE(t.AllowLine(1));
}

TEST_F(AddressLimitsTest, ZeroLineAndByteRatesAreOff) {
  AddressLimits limits(Only([](AddressLimitsOptions& o) { o.max_pending_per_address = 3; }),
                       clock_);
  Ticket t = AdmitAndLogIn(limits, "198.51.100.1");
  for (int i = 0; i < 10000; ++i) ASSERT_TRUE(t.AllowLine(4096));
}

TEST_F(AddressLimitsTest, ReconnectingDoesNotRefillTheLineBuckets) {
  // The reproduced attack: connect, send almost a burst, quit, again.
  AddressLimits limits(AddressLimitsOptions(), clock_);
  int sent = 0;
  for (int connection = 0; connection < 20; ++connection) {
    Ticket t = AdmitAndLogIn(limits, "198.51.100.1");
    for (int line = 0; line < 47; ++line) sent += t.AllowLine(4000) ? 1 : 0;
  }
  EXPECT_EQ(sent, 32);  // 128 KiB of 4000-byte lines, however many connections
}

TEST_F(AddressLimitsTest, RoomCreationIsABucket) {
  AddressLimits limits(Only([](AddressLimitsOptions& o) {
                         o.rooms_per_hour = 10;
                         o.room_burst = 10;
                       }),
                       clock_);
  Ticket t = AdmitAndLogIn(limits, "198.51.100.1");
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(t.AllowRoomCreation()) << i;
  LimitVerdict verdict = t.AllowRoomCreation();
  EXPECT_FALSE(verdict);
  EXPECT_EQ(verdict.retry_after, absl::Minutes(6));
  // Reconnecting changes nothing; another address is unaffected.
  t = Ticket();
  EXPECT_FALSE(AdmitAndLogIn(limits, "198.51.100.1").AllowRoomCreation());
  EXPECT_TRUE(AdmitAndLogIn(limits, "198.51.100.2").AllowRoomCreation());
  clock_.Advance(absl::Minutes(6));
  EXPECT_TRUE(AdmitAndLogIn(limits, "198.51.100.1").AllowRoomCreation());
}

TEST_F(AddressLimitsTest, ZeroRoomRateIsOff) {
  AddressLimits limits(Only([](AddressLimitsOptions& o) { o.max_pending_per_address = 3; }),
                       clock_);
  Ticket t = AdmitAndLogIn(limits, "198.51.100.1");
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(t.AllowRoomCreation());
}

std::string KeyOfV4(const char* text) {
  sockaddr_in v4{};
  v4.sin_family = AF_INET;
  v4.sin_port = htons(1234);
  ::inet_pton(AF_INET, text, &v4.sin_addr);
  return AddressKey(reinterpret_cast<const sockaddr*>(&v4), sizeof(v4));
}

std::string KeyOfV6(const char* text) {
  sockaddr_in6 v6{};
  v6.sin6_family = AF_INET6;
  v6.sin6_port = htons(5678);
  ::inet_pton(AF_INET6, text, &v6.sin6_addr);
  return AddressKey(reinterpret_cast<const sockaddr*>(&v6), sizeof(v6));
}

TEST_F(AddressLimitsTest, IPv4MappedAndPlainIPv4ShareLimits) {
  AddressLimits limits(AddressLimitsOptions(), clock_);
  std::vector<Ticket> pending;
  pending.push_back(Admit(limits, KeyOfV4("192.0.2.1")));
  pending.push_back(Admit(limits, KeyOfV6("::ffff:192.0.2.1")));
  pending.push_back(Admit(limits, KeyOfV4("192.0.2.1")));
  EXPECT_EQ(limits.AdmitConnection(KeyOfV6("::ffff:192.0.2.1")).refusal,
            AdmissionRefusal::kTooManyPending);
  EXPECT_EQ(limits.tracked_addresses(), 1u);
}

TEST_F(AddressLimitsTest, OneSlash64SharesLimits) {
  AddressLimits limits(AddressLimitsOptions(), clock_);
  std::vector<Ticket> pending;
  pending.push_back(Admit(limits, KeyOfV6("2001:db8:0:1::1")));
  pending.push_back(Admit(limits, KeyOfV6("2001:db8:0:1::2")));
  pending.push_back(Admit(limits, KeyOfV6("2001:db8:0:1:dead:beef:0:3")));
  EXPECT_FALSE(limits.AdmitConnection(KeyOfV6("2001:db8:0:1::4")).admitted());
  Ticket neighbour = Admit(limits, KeyOfV6("2001:db8:0:2::1"));
}

TEST_F(AddressLimitsTest, EntriesAreForgottenOnceTheirBucketsRefill) {
  AddressLimits limits(AddressLimitsOptions(), clock_);
  { Ticket t = Admit(limits, "198.51.100.1"); }  // never logged in: took nothing
  EXPECT_EQ(limits.tracked_addresses(), 0u);
  {
    Ticket t = AdmitAndLogIn(limits, "198.51.100.1");
    EXPECT_EQ(limits.tracked_addresses(), 1u);
  }
  EXPECT_EQ(limits.tracked_addresses(), 1u);  // one login to refill: 2 s
  clock_.Advance(absl::Seconds(2));
  { Ticket t = Admit(limits, "198.51.100.2"); }  // admissions sweep refilled entries
  EXPECT_EQ(limits.tracked_addresses(), 0u);
}

TEST_F(AddressLimitsTest, TheTableIsBoundedAndForgetsTheSoonestRefilledIdleEntry) {
  AddressLimitsOptions options = Only([](AddressLimitsOptions& o) {
    o.bytes_per_second = 1;
    o.byte_burst = 1000;
    o.max_tracked_addresses = 3;
  });
  AddressLimits limits(options, clock_);
  // Three idle addresses, refilled in 300, 100 and 200 s.
  EXPECT_TRUE(Admit(limits, "a").AllowLine(300));
  EXPECT_TRUE(Admit(limits, "b").AllowLine(100));
  EXPECT_TRUE(Admit(limits, "c").AllowLine(200));
  EXPECT_EQ(limits.tracked_addresses(), 3u);

  Ticket d = Admit(limits, "d");  // forgets "b"
  EXPECT_EQ(limits.tracked_addresses(), 3u);
  EXPECT_EQ(limits.evicted_addresses(), 1);
  Ticket e = Admit(limits, "e");  // forgets "c"
  Ticket a = Admit(limits, "a");  // remembered: 700 bytes left
  EXPECT_FALSE(a.AllowLine(701));
  EXPECT_EQ(limits.tracked_addresses(), 3u);
  EXPECT_EQ(limits.evicted_addresses(), 2);

  // Every entry has a connection now: nothing can be forgotten, a new address is refused.
  AddressLimits::Admission f = limits.AdmitConnection("f");
  EXPECT_EQ(f.refusal, AdmissionRefusal::kTooManyAddresses);
  // Known addresses are still admitted.
  Ticket a2 = Admit(limits, "a");
  d = Ticket();  // "d" took nothing: forgotten at once
  EXPECT_EQ(limits.tracked_addresses(), 2u);
  Ticket f2 = Admit(limits, "f");
  EXPECT_EQ(limits.AdmitConnection("g").refusal, AdmissionRefusal::kTooManyAddresses);
  e = Ticket();
  Ticket b = Admit(limits, "b");  // fresh: it was forgotten
  EXPECT_TRUE(b.AllowLine(1000));
}

TEST_F(AddressLimitsTest, EverythingOffTracksNothing) {
  AddressLimits limits(AddressLimitsOptions::Disabled(), clock_);
  std::vector<Ticket> tickets;
  for (int i = 0; i < 1000; ++i) {
    AddressLimits::Admission admission = limits.AdmitConnection("127.0.0.1");
    ASSERT_TRUE(admission.admitted());
    EXPECT_TRUE(admission.ticket.TryLogin());
    EXPECT_TRUE(admission.ticket.AllowLine(1 << 20));
    EXPECT_TRUE(admission.ticket.AllowRoomCreation());
    tickets.push_back(std::move(admission.ticket));
  }
  EXPECT_EQ(limits.tracked_addresses(), 0u);
  EXPECT_EQ(limits.live_tickets(), 0);
}

TEST_F(AddressLimitsTest, AnEmptyTicketLimitsNothing) {
  Ticket ticket;
  EXPECT_TRUE(ticket.key().empty());
  EXPECT_TRUE(ticket.TryLogin());
  EXPECT_TRUE(ticket.AllowLine(1 << 30));
  EXPECT_TRUE(ticket.AllowRoomCreation());
}

TEST_F(AddressLimitsTest, MovingATicketMovesItsPlace) {
  AddressLimits limits(Only([](AddressLimitsOptions& o) { o.max_pending_per_address = 1; }),
                       clock_);
  Ticket a = Admit(limits, "198.51.100.1");
  EXPECT_EQ(a.key(), "198.51.100.1");
  Ticket b(std::move(a));
  EXPECT_TRUE(a.key().empty());  // NOLINT(bugprone-use-after-move): moved-from is empty
  EXPECT_EQ(limits.live_tickets(), 1);
  EXPECT_FALSE(limits.AdmitConnection("198.51.100.1").admitted());
  Ticket c = Admit(limits, "198.51.100.2");
  b = std::move(c);  // releases the first address's place
  EXPECT_EQ(limits.live_tickets(), 1);
  Ticket d = Admit(limits, "198.51.100.1");
  EXPECT_EQ(b.key(), "198.51.100.2");
}

TEST_F(AddressLimitsTest, ConcurrentLinesOnOneAddressGetExactlyTheBurst) {
  AddressLimits limits(Only([](AddressLimitsOptions& o) {
                         o.lines_per_second = 40;
                         o.line_burst = 1000;
                         o.bytes_per_second = 1000;
                         o.byte_burst = 1e6;
                       }),
                       clock_);
  constexpr int kThreads = 8;
  std::atomic<int> allowed{0};
  absl::Barrier start(kThreads);
  std::vector<std::thread> readers;
  for (int i = 0; i < kThreads; ++i) {
    readers.emplace_back([&] {
      Ticket t = AdmitAndLogIn(limits, "198.51.100.1");
      start.Block();
      for (int line = 0; line < 500; ++line) {
        if (t.AllowLine(100)) allowed.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  for (std::thread& reader : readers) reader.join();
  EXPECT_EQ(allowed.load(), 1000);  // the clock is frozen: the burst and no more
  EXPECT_EQ(limits.live_tickets(), 0);
}

// The product's promise, with the defaults: ten friends behind one NAT chat, paste, and
// reconnect; someone tries the server by hand with dozens of sessions in a minute.
TEST_F(AddressLimitsTest, DefaultsNeverBotherOrdinaryPeople) {
  AddressLimits limits(AddressLimitsOptions(), clock_);
  const std::string nat = "203.0.113.50";
  std::vector<Ticket> friends;
  for (int i = 0; i < 10; ++i) friends.push_back(AdmitAndLogIn(limits, nat));
  for (int minute = 0; minute < 30; ++minute) {
    // Everyone pastes 8 lines of 200 bytes at the same moment, then chats a line every 5 s.
    for (Ticket& t : friends) {
      for (int line = 0; line < 8; ++line) ASSERT_TRUE(t.AllowLine(200)) << minute;
    }
    for (int tick = 0; tick < 12; ++tick) {
      clock_.Advance(absl::Seconds(5));
      for (Ticket& t : friends) ASSERT_TRUE(t.AllowLine(120)) << minute;
    }
    // Two of them reconnect, and someone makes a room.
    for (int i = 0; i < 2; ++i) friends[(minute + i) % 10] = AdmitAndLogIn(limits, nat);
    if (minute % 10 == 0) {
      ASSERT_TRUE(friends[0].AllowRoomCreation());
    }
  }

  // By hand: 48 sessions in one minute, ten at once, a few lines and a room or two.
  const std::string tester = "192.0.2.77";
  std::vector<Ticket> open;
  for (int session = 0; session < 48; ++session) {
    Ticket t = Admit(limits, tester);
    clock_.Advance(absl::Seconds(1));  // typing a name
    ASSERT_TRUE(t.TryLogin()) << session;
    for (int line = 0; line < 3; ++line) ASSERT_TRUE(t.AllowLine(30)) << session;
    if (session % 10 == 0) {
      ASSERT_TRUE(t.AllowRoomCreation()) << session;
    }
    open.push_back(std::move(t));
    if (open.size() > 10) open.erase(open.begin());
    clock_.Advance(absl::Milliseconds(250));
  }
}

TEST(AddressLimitsDeathTest, DestroyingItBeforeItsTicketsIsCaught) {
  testing::FakeClock clock(kT0);
  EXPECT_DEATH(
      {
        auto limits = std::make_unique<AddressLimits>(AddressLimitsOptions(), clock);
        Ticket ticket = limits->AdmitConnection("x").ticket;
        limits.reset();
      },
      "before all of its tickets");
}

}  // namespace
}  // namespace chat
