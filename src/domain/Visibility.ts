import { Schema } from "effect"

export const Visibility = Schema.Literal("public", "private")
export type Visibility = typeof Visibility.Type

export const defaultVisibility: Visibility = "public"

export const isVisibility = Schema.is(Visibility)
