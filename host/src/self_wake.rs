//! Re-polling a future that wakes its own task while it is being polled.
//!
//! A call drives its own HTTP/1.1 connection (see `outbound`), so hyper wakes the calling
//! task from inside that task's poll: the connection hands the answer to the waiting
//! request, and reading the body tells the connection to read on; both sides are the
//! caller. tokio takes a wake during a poll for a yield: it queues the task behind the
//! others and wakes an idle worker to take it, two context switches per wake, and often a
//! move to the other core. [`repoll_on_self_wake`] polls again at once instead.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

/// Polls in a row at most this often; a future that keeps waking itself (a spent tokio
/// coop budget does that) then yields to the scheduler as it asked.
const MAX_POLLS_IN_A_ROW: usize = 8;

/// Runs `future`, polling it again at once when it woke itself during a poll.
pub async fn repoll_on_self_wake<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let state = Arc::new(SelfWake::default());
    let waker = Waker::from(state.clone());
    std::future::poll_fn(|cx| {
        state.remember(cx.waker());
        for _ in 0..MAX_POLLS_IN_A_ROW {
            state.polling.store(true, Ordering::SeqCst);
            let polled = future.as_mut().poll(&mut Context::from_waker(&waker));
            state.polling.store(false, Ordering::SeqCst);
            if polled.is_ready() {
                return polled;
            }
            // A wake during the poll, or after it but before `polling` was cleared, did
            // not reach the task: poll again. Any later wake reaches the task itself.
            if !state.woken.swap(false, Ordering::SeqCst) {
                return Poll::Pending;
            }
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    })
    .await
}

#[derive(Default)]
struct SelfWake {
    /// Set while the future is being polled: a wake then only marks `woken`.
    polling: AtomicBool,
    woken: AtomicBool,
    /// The task's waker, for wakes between polls.
    task: Mutex<Option<Waker>>,
}

impl SelfWake {
    fn remember(&self, waker: &Waker) {
        let mut task = self.task.lock().unwrap_or_else(|p| p.into_inner());
        if !task.as_ref().is_some_and(|w| w.will_wake(waker)) {
            *task = Some(waker.clone());
        }
    }
}

impl Wake for SelfWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::SeqCst);
        if !self.polling.load(Ordering::SeqCst) {
            let task = self.task.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(waker) = task.as_ref() {
                waker.wake_by_ref();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Wakes its own task during its first poll, as hyper does, then finishes.
    struct WakesItselfOnce {
        polls: usize,
    }

    impl Future for WakesItselfOnce {
        type Output = usize;

        fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
            self.polls += 1;
            if self.polls == 1 {
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            Poll::Ready(self.polls)
        }
    }

    /// Counts the wakes that reach the task.
    #[derive(Default)]
    struct CountingTask(std::sync::atomic::AtomicUsize);

    impl Wake for CountingTask {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_wake_during_the_poll_is_a_second_poll_not_a_task_wake() {
        let task = Arc::new(CountingTask::default());
        let waker = Waker::from(task.clone());
        let mut future = std::pin::pin!(repoll_on_self_wake(WakesItselfOnce { polls: 0 }));
        let polled = future.as_mut().poll(&mut Context::from_waker(&waker));
        assert_eq!(polled, Poll::Ready(2));
        assert_eq!(task.0.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn a_wake_after_the_poll_reaches_the_task() {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let sender = tokio::spawn(async move {
            tokio::task::yield_now().await;
            tx.send(7).unwrap();
        });
        assert_eq!(repoll_on_self_wake(rx).await, Ok(7));
        sender.await.unwrap();
    }

    #[test]
    fn a_future_that_always_wakes_itself_still_yields() {
        struct Spins;
        impl Future for Spins {
            type Output = ();
            fn poll(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }
        let task = Arc::new(CountingTask::default());
        let waker = Waker::from(task.clone());
        let mut future = std::pin::pin!(repoll_on_self_wake(Spins));
        assert!(
            future
                .as_mut()
                .poll(&mut Context::from_waker(&waker))
                .is_pending()
        );
        assert_eq!(task.0.load(Ordering::SeqCst), 1);
    }
}
