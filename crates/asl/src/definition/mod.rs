//! A state machine definition, loaded from Amazon States Language and checked
//! up front: substitutions resolved, every transition pointing at a state, and
//! every feature this runner does not implement refused by name.
//!
//! `machine` is the whole definition; `states` what each state kind holds once
//! loaded; `loading` reads branches and their states from the JSON and checks
//! them; `fields` reads single fields and names the state in its errors.

mod fields;
mod loading;
mod machine;
mod states;

pub use machine::StateMachine;
pub use states::{
    Branch, ChoiceState, FailState, Handling, MapState, ParallelState, PassState, Resource, State,
    StateKind, TaskState, Transition, WaitFor, WaitState,
};
