// chat/abuse/address_limits.h: limits per source address that survive reconnecting.
//
// Defines:
//   AddressLimitsOptions - every number; 0 turns a limit off.
//   AdmissionRefusal     - why a connection was refused.
//   LimitVerdict         - allowed, or refused with the time until it would be allowed.
//   AddressLimits        - the per-source counts and token buckets, and
//   AddressLimits::Ticket - one connection's handle on its source's entry.
//
// Per-connection limits (the session's flood limiter, the login timeout) reset when the
// client reconnects, so a client that reconnects in a loop escapes them. These limits are
// counted per source (chat/abuse/address_key.h) and a source's entry outlives its
// connections until its buckets have refilled, so reconnecting gains nothing.

#ifndef CHAT_ABUSE_ADDRESS_LIMITS_H_
#define CHAT_ABUSE_ADDRESS_LIMITS_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "chat/clock.h"

namespace chat {

// Every limit is per source address and off when 0. The defaults must never bother ten
// friends behind one NAT, nor someone trying the server by hand with dozens of `nc`
// sessions a minute; they exist to stop one address from abusing reconnects.
struct AddressLimitsOptions {
  // Connections that have not logged in yet. Stops one address from holding every client
  // slot (10 by default) with silent sockets that each last the 60 s login timeout: it
  // keeps at most 3, and 7 slots stay for everyone else. A person at a keyboard has one or
  // two connections at the name prompt at a time.
  int max_pending_per_address = 3;

  // All connections, logged in or not. Off: ten friends behind one NAT need all ten
  // slots, and the server's own --max_clients already bounds the total.
  int max_connections_per_address = 0;

  // Logins (a name accepted: each one sends a join notice and later a leave notice to a
  // room). A burst of 60 lets someone open dozens of sessions by hand within a minute, or
  // ten friends reconnect a few times each; 30 a minute sustained then caps a reconnect
  // loop at one join/leave pair every 2 s, instead of as fast as TCP allows. A drained
  // bucket is full again after 2 minutes.
  double logins_per_minute = 30;
  double login_burst = 60;

  // TLS handshakes (a connection to a TLS listener, taken when it is admitted, before
  // any handshake). Each costs the server a signature (`openssl speed` here: 0.89 ms for
  // RSA-2048, 0.03 ms for P-256), so without this one address holding only its 3 pending
  // slots could keep a core busy by handshaking and hanging up in a loop; with it, 5 a
  // second is under 1% of a core. A browser opens about five per page load (page, script,
  // style, icon, WebSocket), so the burst (a minute's worth) lets some 60 people behind
  // one NAT load the page at once.
  double handshakes_per_minute = 300;

  // Chat lines (anything the session would broadcast), shared by all of a source's
  // connections, and their sanitised bytes. Ten people chatting send a line every few
  // seconds each; a paste of a few lines from several of them at once fits the bursts
  // (100 lines, 128 KiB = 32 maximal 4 KiB lines).
  //
  // Why these numbers: each delivered line costs a reader its bytes plus ~40 bytes of
  // timestamp and prompt. One source's sustained cost to every reader is at most
  //   32768 B/s + 40 lines/s * 40 B = 34,368 B/s,
  // 13% of a reader at 256 KB/s (262,144 B/s); its burst is at most
  //   131072 B + 100 lines * 40 B = 135,072 B
  // (137,472 B charged to the outbox at 64 B per line), a half second for that reader
  // and 13% of the 1 MiB --max_outbox_bytes. So no single source, reconnecting or not,
  // can make a 256 KB/s reader a "slow reader"; it takes 8 sources sending flat out
  // (8 * 34,368 = 274,944 B/s), and even then the outbox grows only by the excess.
  double lines_per_second = 40;
  double line_burst = 100;
  double bytes_per_second = 32 * 1024;
  double byte_burst = 128 * 1024;

  // New rooms. The server has --max_rooms (100) in all; without this, one source takes
  // 99 of them in a second. A burst of 10 covers anyone trying rooms out; 10 an hour then
  // means one source needs about 9 hours to take 99 rooms.
  double rooms_per_hour = 10;
  double room_burst = 10;

  // Sources remembered at once (~450 bytes each: 65536 is ~28 MiB at worst, and only
  // while that many sources have spent tokens within the last minutes). 0: no bound.
  // Sources with connections are never forgotten; see AddressLimits for a full table.
  size_t max_tracked_addresses = 65536;

  // AddressLimitsOptions::Disabled() turns every limit off (load tests from one address).
  static AddressLimitsOptions Disabled();
};

// Why AdmitConnection() refused a connection.
enum class AdmissionRefusal {
  kNone,                // admitted
  kTooManyPending,      // max_pending_per_address connections are at the name prompt
  kTooManyConnections,  // max_connections_per_address connections are open
  kTooManyAddresses,    // max_tracked_addresses sources all have live connections
  kTooManyHandshakes,   // handshakes_per_minute TLS handshakes were taken already
};

// AdmissionRefusalName() is a short lowercase name for logs and metric labels:
// "none", "pending", "connections", "addresses", "handshakes".
std::string_view AdmissionRefusalName(AdmissionRefusal refusal);

// LimitVerdict says whether an action is allowed now and, if not, how long until the same
// action would be (assuming the source takes nothing else meanwhile). `retry_after` is
// exact; round it up for people, e.g. absl::Ceil(retry_after, absl::Seconds(1)).
struct LimitVerdict {
  bool allowed = true;
  absl::Duration retry_after;  // zero when allowed

  explicit operator bool() const { return allowed; }
};

// AddressLimits keeps, per source key, the number of connections still at the name
// prompt ("pending"), the number of connections, and five token buckets (logins, TLS
// handshakes, lines, bytes, room creations) shared by all of the source's connections.
// Thread-safe.
//
// Memory: a source's entry lives while it has connections, and after its last one
// closes only until its buckets are full again (at most 2 minutes for logins, seconds
// for lines and bytes, an hour after creating rooms); so reconnecting never resets a
// bucket. At most max_tracked_addresses entries exist: when a new source arrives at a
// full table, the entry without connections whose buckets refill soonest is forgotten
// (it holds the least unspent debt, so forgetting it hands out the fewest unearned
// tokens; among similar entries that is also the longest idle). If every entry has
// connections, the new source is refused (kTooManyAddresses).
//
// What many addresses buy an attacker: each source gets its own buckets, so N sources
// get N times every rate (the server-wide --max_clients, --max_rooms and per-connection
// limits still hold). One IPv6 /64 is one source; a /48 holds 65536 of them. An attacker
// cycling through more than max_tracked_addresses sources can get its own idle entries
// forgotten and so refill them early; it cannot evict a source that is connected.
//
// Lifetime: AddressLimits must outlive every Ticket it issued (the server owns it and
// destroys it after every session); its destructor CHECK-fails otherwise.
//
// Locking: AddressLimits::mu_ guards the table and is taken only when a connection is
// admitted or released. Each entry has its own small mutex for its counts and buckets,
// so readers of different sources never contend, and readers of one source hold it for
// a few arithmetic operations. Lock order: mu_, then an entry's mu. Nothing calls out
// with either held (the clock is read before locking).
class AddressLimits {
 private:
  struct Entry;

 public:
  // Ticket is one admitted connection's share of its source: it counts as pending until
  // TryLogin() succeeds and as a connection until it is destroyed. Movable. A
  // default-constructed (or moved-from) Ticket limits nothing, so code that runs without
  // AddressLimits can hold one. One thread uses a Ticket at a time; Tickets of the same
  // source may be used concurrently from different threads.
  class Ticket {
   public:
    Ticket() = default;
    Ticket(Ticket&& other) noexcept;
    Ticket& operator=(Ticket&& other) noexcept;
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    ~Ticket();

    // Ticket::TryLogin() takes a login token; on success the connection stops counting
    // as pending. Call it once the name is accepted, before anyone is told of the join.
    // After a successful call, later calls allow without taking anything.
    LimitVerdict TryLogin();

    // Ticket::AllowLine() takes one line token and `bytes` byte tokens (the line's size
    // after sanitising) from the source's shared buckets, both or neither.
    LimitVerdict AllowLine(size_t bytes);

    // Ticket::AllowRoomCreation() takes a room token. Call it only when a /join would
    // create the room, not when joining one that exists.
    LimitVerdict AllowRoomCreation();

    // The source key, or "" for a ticket that limits nothing.
    std::string_view key() const;
    bool logged_in() const { return logged_in_; }

   private:
    friend class AddressLimits;
    Ticket(AddressLimits* limits, Entry* entry) : limits_(limits), entry_(entry) {}
    void Release();

    AddressLimits* limits_ = nullptr;
    Entry* entry_ = nullptr;  // owned by limits_->entries_; outlives this ticket
    bool logged_in_ = false;
  };

  // The outcome of AdmitConnection(): a ticket when admitted, else why not.
  struct Admission {
    AdmissionRefusal refusal = AdmissionRefusal::kNone;
    Ticket ticket;
    // kTooManyHandshakes: when a handshake token is next available.
    absl::Duration retry_after;

    bool admitted() const { return refusal == AdmissionRefusal::kNone; }
  };

  // `clock` must outlive this object.
  AddressLimits(const AddressLimitsOptions& options, const Clock& clock);
  AddressLimits(const AddressLimits&) = delete;
  AddressLimits& operator=(const AddressLimits&) = delete;
  ~AddressLimits() ABSL_LOCKS_EXCLUDED(mu_);

  // AddressLimits::AdmitConnection() admits a new connection from `key` (see
  // PeerAddressKey()), counting it as pending, or says why not. A connection that will
  // cost a TLS handshake (`handshake`) also takes a handshake token. With every limit off
  // it admits without tracking anything.
  Admission AdmitConnection(std::string_view key, bool handshake = false)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Sources currently remembered. Entries whose buckets have refilled are dropped at the
  // next admission, so this may briefly count some.
  size_t tracked_addresses() const ABSL_LOCKS_EXCLUDED(mu_);

  // Tickets issued and not yet destroyed (tracked ones only).
  int live_tickets() const ABSL_LOCKS_EXCLUDED(mu_);

  // Idle sources forgotten before their buckets refilled because the table was full
  // (a counter for metrics: nonzero means many sources, likely an attack).
  int64_t evicted_addresses() const ABSL_LOCKS_EXCLUDED(mu_);

  const AddressLimitsOptions& options() const { return options_; }

 private:
  // An entry in the table, with the bookkeeping only the table's lock may touch.
  struct Slot {
    std::unique_ptr<Entry> entry;
    bool idle = false;        // no connections; listed in idle_ under full_at
    absl::Time full_at;       // when idle: the instant every bucket is full again
  };

  // Forgets idle entries whose buckets are full at `now`.
  void DropRefilled(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Admission Admit(std::string_view key, bool handshake, absl::Time now, bool* evicted)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Makes room for one new entry (setting *evicted if it had to forget one before it
  // refilled); false if every entry has connections.
  bool MakeRoom(bool* evicted) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EraseIdle(Slot& slot) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The end of a ticket: uncount it, and start forgetting its entry if it was the last.
  void Release(Entry* entry, bool logged_in) ABSL_LOCKS_EXCLUDED(mu_);

  const AddressLimitsOptions options_;
  const Clock& clock_;
  const bool tracking_;       // some limit is on; otherwise tickets are empty
  const bool limits_lines_;   // the line or the byte bucket is on

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Slot> entries_ ABSL_GUARDED_BY(mu_);
  // Entries without connections, soonest refilled first.
  std::set<std::pair<absl::Time, std::string>> idle_ ABSL_GUARDED_BY(mu_);
  int live_tickets_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t evicted_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace chat

#endif  // CHAT_ABUSE_ADDRESS_LIMITS_H_
