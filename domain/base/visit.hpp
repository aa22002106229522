#pragma once
/// Exhaustive dispatch over std::variant (header-only, std only).
///
/// Every visit over an event or command variant names each alternative, so adding an
/// alternative is a compile error until someone decides what it means (a final `else` that
/// stood for "the last one" turned a deposit-address event into an unban once). Two shapes:
///
///   std::visit(overload{
///       [&](const user::banned& x) { ... },
///       [&](const user::unbanned&) { ... },
///   }, event);
///
/// Each lambda takes its exact alternative (no generic lambda that decides anything), so a
/// missing one is "no matching call". Or an `if constexpr` chain that ends in
///
///   } else {
///     static_assert(always_false<T>, "wallet::evolve: unhandled wallet event");
///   }
///
/// (GCC 12 needs the dependent `always_false<T>`: a plain static_assert(false) in a discarded
/// branch is only accepted from GCC 13, P2593.)

namespace telepay {

/// A visitor made of lambdas, one per alternative.
template <class... F>
struct overload : F... {
  using F::operator()...;
};
template <class... F>
overload(F...) -> overload<F...>;

/// False for every T, but only once T is known: the last branch of an `if constexpr` chain.
template <class...>
inline constexpr bool always_false = false;

}  // namespace telepay
